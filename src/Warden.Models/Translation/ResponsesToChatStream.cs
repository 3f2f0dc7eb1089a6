using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>
/// Responses stream events to OpenAI chat chunks: text and refusal deltas, function-call items as tool calls (in
/// the order they were added), and at <c>response.completed</c>/<c>.incomplete</c> the finish chunk, the usage
/// chunk (when asked for) and <c>[DONE]</c>. <c>response.failed</c> and <c>error</c> become an error chunk.
/// </summary>
internal sealed class ResponsesToChatStream(string clientModel, bool includeUsage) : IStreamTranslator
{
    private readonly ChatChunkWriter _chunks = new(clientModel);
    private readonly Dictionary<string, int> _toolByItem = new(StringComparer.Ordinal);
    private bool _started;
    private bool _done;

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
            case "response.created" or "response.in_progress":
                var response = StreamEvents.Get(root, "response");
                if (!_started)
                {
                    _started = true;
                    _chunks.Id = Ids.ChatId(StreamEvents.GetString(response, "id"));
                    _chunks.Created = StreamEvents.GetLong(response, "created_at") ?? _chunks.Created;
                }

                EnsureStarted(output);
                break;
            case "response.output_text.delta" when StreamEvents.GetString(root, "delta") is { Length: > 0 } text:
                EnsureStarted(output);
                _chunks.Text(output, text);
                break;
            case "response.refusal.delta" when StreamEvents.GetString(root, "delta") is { Length: > 0 } refusal:
                EnsureStarted(output);
                _chunks.Text(output, refusal, "refusal");
                break;
            case "response.output_item.added":
                var item = StreamEvents.Get(root, "item");
                if (StreamEvents.GetString(item, "type") == "function_call")
                {
                    EnsureStarted(output);
                    var index = _toolByItem.Count;
                    _toolByItem[StreamEvents.GetString(item, "id") ?? ""] = index;
                    _chunks.ToolStart(output, index, StreamEvents.GetString(item, "call_id") ?? "", StreamEvents.GetString(item, "name") ?? "");
                    if (StreamEvents.GetString(item, "arguments") is { Length: > 0 } initial)
                    {
                        _chunks.ToolArguments(output, index, initial);
                    }
                }

                break;
            case "response.function_call_arguments.delta":
                if (StreamEvents.GetString(root, "delta") is { Length: > 0 } arguments
                    && _toolByItem.TryGetValue(StreamEvents.GetString(root, "item_id") ?? "", out var tool))
                {
                    _chunks.ToolArguments(output, tool, arguments);
                }

                break;
            case "response.completed" or "response.incomplete":
                EnsureStarted(output);
                var final = StreamEvents.Get(root, "response");
                var finish = StopReasons.ResponsesToChat(
                    StreamEvents.GetString(final, "status"),
                    StreamEvents.GetString(StreamEvents.Get(final, "incomplete_details"), "reason"),
                    _toolByItem.Count > 0);
                _chunks.Finish(output, finish);
                var usage = StreamEvents.Get(final, "usage");
                if (includeUsage && usage.ValueKind == JsonValueKind.Object)
                {
                    _chunks.Usage(
                        output,
                        StreamEvents.GetLong(usage, "input_tokens") ?? 0,
                        StreamEvents.GetLong(usage, "output_tokens") ?? 0,
                        StreamEvents.GetLong(StreamEvents.Get(usage, "input_tokens_details"), "cached_tokens") ?? 0);
                }

                ChatChunkWriter.Done(output);
                _done = true;
                break;
            case "response.failed":
                var failure = StreamEvents.Get(StreamEvents.Get(root, "response"), "error");
                _chunks.Error(output, ModelErrorKind.UpstreamError, StreamEvents.GetString(failure, "message") ?? "The model provider reported an error.");
                _done = true;
                break;
            case "error":
                _chunks.Error(output, ModelErrorKind.UpstreamError, StreamEvents.GetString(root, "message") ?? "The model provider reported an error.");
                _done = true;
                break;
            default:
                break;
        }
    }

    public void Complete(List<SseEvent> output)
    {
        if (!_done)
        {
            _chunks.Error(output, ModelErrorKind.UpstreamError, StreamEvents.TruncatedMessage);
            _done = true;
        }
    }

    private void EnsureStarted(List<SseEvent> output) => _chunks.EnsureRole(output);
}
