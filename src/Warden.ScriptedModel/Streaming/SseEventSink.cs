using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Warden.ScriptedModel.Streaming;

/// <summary>Server-sent events: <c>event: name</c> (when named), <c>data: {json}</c>, a blank line.</summary>
internal sealed class SseEventSink(HttpContext context, TimeSpan interChunk, int? cutAfter, TimeProvider time)
    : EventSink(context, interChunk, cutAfter, time)
{
    private static readonly byte[] EventPrefix = "event: "u8.ToArray();
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();

    /// <summary>Writes a data-only event with raw (non-JSON) data, such as OpenAI's <c>[DONE]</c>; false means stop.</summary>
    public async ValueTask<bool> WriteRawAsync(byte[] data)
    {
        if (!await BeginAsync(null).ConfigureAwait(false))
        {
            return false;
        }

        Output.Write(data);
        return await EndAsync().ConfigureAwait(false);
    }

    protected override void Start(byte[]? eventName)
    {
        if (eventName is not null)
        {
            Output.Write(EventPrefix);
            Output.Write(eventName);
            Output.Write(NewLine);
        }

        Output.Write(DataPrefix);
        Json.Reset(Output);
    }

    protected override void Finish() => Output.Write(EventEnd);
}
