using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>
/// Anthropic Messages stream events to OpenAI chat chunks: a role chunk at <c>message_start</c>, content and
/// tool-call deltas (each <c>tool_use</c> block becomes the next tool-call index), then at <c>message_stop</c> the
/// finish chunk, the usage chunk (when asked for) and <c>[DONE]</c>.
/// </summary>
internal sealed class AnthropicToChatStream(string clientModel, bool includeUsage) : IStreamTranslator
{
    private readonly ChatChunkWriter _chunks = new(clientModel);
    private readonly Dictionary<long, int> _toolByBlock = [];
    private bool _done;
    private string? _finish;
    private long _input;
    private long _cacheRead;
    private long _cacheWrite;
    private long _output;

    public void Translate(in SseEvent upstream, List<SseEvent> output)
    {
        if (_done)
        {
            return;
        }

        using var document = StreamEvents.Parse(upstream.Data);
        if (document is null)
        {
            return;
        }

        var root = document.RootElement;
        switch (StreamEvents.Type(upstream, root))
        {
            case "message_start":
                var message = StreamEvents.Get(root, "message");
                _chunks.Id = Ids.ChatId(StreamEvents.GetString(message, "id"));
                ReadUsage(StreamEvents.Get(message, "usage"));
                EnsureStarted(output);
                break;
            case "content_block_start":
                EnsureStarted(output);
                var block = StreamEvents.Get(root, "content_block");
                var index = StreamEvents.GetLong(root, "index") ?? 0;
                switch (StreamEvents.GetString(block, "type"))
                {
                    case "tool_use":
                        var toolIndex = _toolByBlock.Count;
                        _toolByBlock[index] = toolIndex;
                        _chunks.ToolStart(output, toolIndex, StreamEvents.GetString(block, "id") ?? "", StreamEvents.GetString(block, "name") ?? "");
                        break;
                    case "text" when StreamEvents.GetString(block, "text") is { Length: > 0 } initial:
                        _chunks.Text(output, initial);
                        break;
                    default:
                        break;
                }

                break;
            case "content_block_delta":
                EnsureStarted(output);
                var delta = StreamEvents.Get(root, "delta");
                switch (StreamEvents.GetString(delta, "type"))
                {
                    case "text_delta" when StreamEvents.GetString(delta, "text") is { Length: > 0 } text:
                        _chunks.Text(output, text);
                        break;
                    case "input_json_delta" when StreamEvents.GetString(delta, "partial_json") is { Length: > 0 } json
                        && _toolByBlock.TryGetValue(StreamEvents.GetLong(root, "index") ?? 0, out var tool):
                        _chunks.ToolArguments(output, tool, json);
                        break;
                    default:
                        // Thinking and signature deltas have no Chat Completions equivalent.
                        break;
                }

                break;
            case "message_delta":
                _finish = StopReasons.AnthropicToChat(StreamEvents.GetString(StreamEvents.Get(root, "delta"), "stop_reason")) ?? _finish;
                ReadUsage(StreamEvents.Get(root, "usage"));
                break;
            case "message_stop":
                EnsureStarted(output);
                Finish(output);
                break;
            case "error":
                var error = StreamEvents.Get(root, "error");
                _chunks.Error(
                    output,
                    ModelErrors.KindFor(500, StreamEvents.GetString(error, "type")),
                    StreamEvents.GetString(error, "message") ?? "The model provider reported an error.");
                _done = true;
                break;
            default:
                break;
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

        _chunks.Error(output, ModelErrorKind.UpstreamError, StreamEvents.TruncatedMessage);
        _done = true;
    }

    private void EnsureStarted(List<SseEvent> output) => _chunks.EnsureRole(output);

    private void Finish(List<SseEvent> output)
    {
        _chunks.Finish(output, _finish ?? "stop");
        if (includeUsage)
        {
            var prompt = _input + _cacheRead + _cacheWrite;
            _chunks.Usage(output, prompt, _output, _cacheRead);
        }

        ChatChunkWriter.Done(output);
        _done = true;
    }

    private void ReadUsage(JsonElement usage)
    {
        _input = StreamEvents.GetLong(usage, "input_tokens") ?? _input;
        _cacheRead = StreamEvents.GetLong(usage, "cache_read_input_tokens") ?? _cacheRead;
        _cacheWrite = StreamEvents.GetLong(usage, "cache_creation_input_tokens") ?? _cacheWrite;
        _output = StreamEvents.GetLong(usage, "output_tokens") ?? _output;
    }
}
