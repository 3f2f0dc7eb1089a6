using System.Buffers;
using Microsoft.AspNetCore.Http;
using Warden.ScriptedModel.Wire;

namespace Warden.ScriptedModel.Streaming;

/// <summary>Bedrock's event stream: each event's JSON, base64-encoded, in a <c>chunk</c> frame.</summary>
internal sealed class EventStreamEventSink(HttpContext context, TimeSpan interChunk, int? cutAfter, TimeProvider time)
    : EventSink(context, interChunk, cutAfter, time)
{
    private readonly ArrayBufferWriter<byte> _event = new(512);

    protected override void Start(byte[]? eventName)
    {
        _event.ResetWrittenCount();
        Json.Reset(_event);
    }

    protected override void Finish() => EventStreamFrame.WriteChunk(Output, _event.WrittenSpan);
}
