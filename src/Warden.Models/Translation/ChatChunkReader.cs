using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>
/// The reading half of translating an OpenAI chat-chunk stream: parses each chunk and calls the hooks in stream
/// order (start, usage, text, tool calls, finish reason), ends at <c>[DONE]</c> (or at the end of the stream after
/// a finish reason), and turns an in-stream error or a stream cut short into the target format's error.
/// </summary>
internal abstract class ChatChunkReader : IStreamTranslator
{
    private bool _started;
    private bool _done;

    /// <summary>The upstream finish reason, once seen.</summary>
    protected string? FinishReason { get; private set; }

    public void Translate(in SseEvent upstream, List<SseEvent> output)
    {
        if (_done)
        {
            return;
        }

        if (upstream.Data == StreamEvents.Done)
        {
            Finish(output);
            return;
        }

        using var document = StreamEvents.Parse(upstream.Data);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            OnError(output, StreamEvents.GetString(error, "code") ?? StreamEvents.GetString(error, "type"), StreamEvents.GetString(error, "message") ?? "The model provider reported an error.");
            _done = true;
            return;
        }

        EnsureStarted(output, StreamEvents.GetString(root, "id"), StreamEvents.GetLong(root, "created"));
        if (StreamEvents.Get(root, "usage") is { ValueKind: JsonValueKind.Object } usage)
        {
            OnUsage(usage);
        }

        var choices = StreamEvents.Get(root, "choices");
        if (choices.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var choice in choices.EnumerateArray())
        {
            var delta = StreamEvents.Get(choice, "delta");
            if (StreamEvents.GetString(delta, "content") is { Length: > 0 } text)
            {
                OnText(output, text);
            }

            if (StreamEvents.Get(delta, "tool_calls") is { ValueKind: JsonValueKind.Array } toolCalls)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    var function = StreamEvents.Get(call, "function");
                    OnToolCall(
                        output,
                        StreamEvents.GetLong(call, "index") ?? 0,
                        StreamEvents.GetString(call, "id"),
                        StreamEvents.GetString(function, "name"),
                        StreamEvents.GetString(function, "arguments"));
                }
            }

            if (StreamEvents.GetString(choice, "finish_reason") is { } finish)
            {
                FinishReason = finish;
                OnFinishReason(output);
            }
        }
    }

    public void Complete(List<SseEvent> output)
    {
        if (_done)
        {
            return;
        }

        if (FinishReason is not null)
        {
            Finish(output);
            return;
        }

        OnError(output, null, StreamEvents.TruncatedMessage);
        _done = true;
    }

    /// <summary>The first chunk arrived (or the stream ends without one): emit the target's opening events.</summary>
    protected abstract void OnStart(List<SseEvent> output, string? id, long? created);

    protected abstract void OnUsage(JsonElement usage);

    protected abstract void OnText(List<SseEvent> output, string text);

    /// <summary>A tool-call delta; <paramref name="id"/> and <paramref name="name"/> come with the first delta of each index.</summary>
    protected abstract void OnToolCall(List<SseEvent> output, long index, string? id, string? name, string? arguments);

    protected abstract void OnFinishReason(List<SseEvent> output);

    /// <summary>The stream is complete: emit the target's closing events.</summary>
    protected abstract void OnFinish(List<SseEvent> output);

    protected abstract void OnError(List<SseEvent> output, string? code, string message);

    private void EnsureStarted(List<SseEvent> output, string? id, long? created)
    {
        if (!_started)
        {
            _started = true;
            OnStart(output, id, created);
        }
    }

    private void Finish(List<SseEvent> output)
    {
        EnsureStarted(output, null, null);
        OnFinish(output);
        _done = true;
    }
}
