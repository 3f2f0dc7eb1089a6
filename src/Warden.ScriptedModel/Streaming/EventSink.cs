using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Warden.ScriptedModel.Hosting;
using Warden.ScriptedModel.Wire;

namespace Warden.ScriptedModel.Streaming;

/// <summary>
/// Where a streamed answer's events go, one at a time: <see cref="BeginAsync"/>, write the event's JSON to
/// <see cref="Json"/>, <see cref="EndAsync"/>. The sink applies the inter-chunk delay, counts chunks, cuts the stream
/// when the turn says so and notices a client that has gone away.
/// </summary>
internal abstract class EventSink
{
    private readonly HttpContext _context;
    private readonly TimeSpan _interChunk;
    private readonly int? _cutAfter;
    private readonly TimeProvider _time;

    protected EventSink(HttpContext context, TimeSpan interChunk, int? cutAfter, TimeProvider time)
    {
        _context = context;
        _interChunk = interChunk;
        _cutAfter = cutAfter;
        _time = time;
        Output = context.Response.BodyWriter;
        Json = new Utf8JsonWriter(Output, JsonWriting.Options);
    }

    /// <summary>The writer for the current event's JSON.</summary>
    public Utf8JsonWriter Json { get; }

    /// <summary>Events written so far.</summary>
    public int Count { get; private set; }

    /// <summary>The response body.</summary>
    protected PipeWriter Output { get; }

    /// <summary>
    /// Starts an event; false means stop writing (the stream was cut here). <paramref name="eventName"/> is the SSE
    /// <c>event:</c> field, null for data-only events.
    /// </summary>
    public ValueTask<bool> BeginAsync(byte[]? eventName)
    {
        if (_cutAfter is { } cut && Count >= cut)
        {
            return CutAsync();
        }

        if (Count > 0 && _interChunk > TimeSpan.Zero)
        {
            return DelayThenStartAsync(eventName);
        }

        Start(eventName);
        return ValueTask.FromResult(true);
    }

    /// <summary>Finishes and sends the event; false means the client has gone away.</summary>
    public async ValueTask<bool> EndAsync()
    {
        Json.Flush();
        Finish();
        Count++;
        var result = await Output.FlushAsync(_context.RequestAborted).ConfigureAwait(false);
        return !result.IsCompleted && !result.IsCanceled;
    }

    /// <summary>Writes the event framing before the JSON and points <see cref="Json"/> at the right buffer.</summary>
    protected abstract void Start(byte[]? eventName);

    /// <summary>Writes the event framing after the JSON.</summary>
    protected abstract void Finish();

    private async ValueTask<bool> CutAsync()
    {
        await ConnectionCut.CutAsync(_context).ConfigureAwait(false);
        return false;
    }

    private async ValueTask<bool> DelayThenStartAsync(byte[]? eventName)
    {
        await Task.Delay(_interChunk, _time, _context.RequestAborted).ConfigureAwait(false);
        Start(eventName);
        return true;
    }
}
