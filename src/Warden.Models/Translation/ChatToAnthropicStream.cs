using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>
/// OpenAI chat chunks to Anthropic Messages events: <c>message_start</c> before anything else, one content block
/// per run of text and per tool call (indexes in order, each closed before the next opens), and at <c>[DONE]</c>
/// (or the end of the stream after a finish reason) <c>message_delta</c> with the stop reason and usage, then
/// <c>message_stop</c>. Usage comes from the usage chunk, so the upstream request should ask for it.
/// </summary>
internal sealed class ChatToAnthropicStream(string clientModel) : IStreamTranslator
{
    private readonly AnthropicEventWriter _events = new(clientModel);
    private readonly Dictionary<long, int> _blockByTool = [];
    private string _chunkId = "";
    private int _nextBlock;
    private int _openBlock = -1;
    private bool _openIsText;
    private bool _started;
    private bool _done;
    private string? _finish;
    private long _prompt;
    private long _cached;
    private long _completion;

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
            _events.Error(output, ModelErrors.KindFor(500, StreamEvents.GetString(error, "type")), StreamEvents.GetString(error, "message") ?? "The model provider reported an error.");
            _done = true;
            return;
        }

        EnsureStarted(output, StreamEvents.GetString(root, "id"));
        var usage = StreamEvents.Get(root, "usage");
        if (usage.ValueKind == JsonValueKind.Object)
        {
            _prompt = StreamEvents.GetLong(usage, "prompt_tokens") ?? _prompt;
            _completion = StreamEvents.GetLong(usage, "completion_tokens") ?? _completion;
            _cached = StreamEvents.GetLong(StreamEvents.Get(usage, "prompt_tokens_details"), "cached_tokens") ?? _cached;
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
                if (!(_openBlock >= 0 && _openIsText))
                {
                    CloseBlock(output);
                    _openBlock = _nextBlock++;
                    _openIsText = true;
                    _events.TextBlockStart(output, _openBlock);
                }

                _events.TextDelta(output, _openBlock, text);
            }

            var toolCalls = StreamEvents.Get(delta, "tool_calls");
            if (toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    var toolIndex = StreamEvents.GetLong(call, "index") ?? 0;
                    var function = StreamEvents.Get(call, "function");
                    if (!_blockByTool.TryGetValue(toolIndex, out var block))
                    {
                        CloseBlock(output);
                        block = _nextBlock++;
                        _blockByTool[toolIndex] = block;
                        _openBlock = block;
                        _openIsText = false;
                        _events.ToolBlockStart(
                            output, block, StreamEvents.GetString(call, "id") ?? $"toolu_{_chunkId}_{toolIndex}", StreamEvents.GetString(function, "name") ?? "");
                    }

                    if (StreamEvents.GetString(function, "arguments") is { Length: > 0 } arguments)
                    {
                        _events.JsonDelta(output, block, arguments);
                    }
                }
            }

            if (StreamEvents.GetString(choice, "finish_reason") is { } finish)
            {
                _finish = finish;
                CloseBlock(output);
            }
        }
    }

    public void Complete(List<SseEvent> output)
    {
        if (_done)
        {
            return;
        }

        if (_finish is not null)
        {
            Finish(output);
            return;
        }

        _events.Error(output, ModelErrorKind.UpstreamError, StreamEvents.TruncatedMessage);
        _done = true;
    }

    private void EnsureStarted(List<SseEvent> output, string? id)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        var messageId = Ids.MessageId(id);
        _chunkId = messageId["msg_".Length..];
        _events.MessageStart(output, messageId, 0);
    }

    private void CloseBlock(List<SseEvent> output)
    {
        if (_openBlock >= 0)
        {
            _events.BlockStop(output, _openBlock);
            _openBlock = -1;
        }
    }

    private void Finish(List<SseEvent> output)
    {
        EnsureStarted(output, null);
        CloseBlock(output);
        _events.MessageDelta(output, StopReasons.ChatToAnthropic(_finish) ?? "end_turn", Math.Max(0, _prompt - _cached), _cached, _completion);
        _events.MessageStop(output);
        _done = true;
    }
}
