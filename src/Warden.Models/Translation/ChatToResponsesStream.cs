using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>
/// OpenAI chat chunks to Responses stream events: <c>response.created</c> and <c>response.in_progress</c>, then per
/// output item <c>output_item.added</c>, its deltas and its <c>.done</c> events (a message item has one
/// <c>output_text</c> part), and finally <c>response.completed</c> (or <c>response.incomplete</c>) with the whole
/// response and usage. Every event carries an increasing <c>sequence_number</c>.
/// </summary>
internal sealed class ChatToResponsesStream(string clientModel) : IStreamTranslator
{
    private readonly JsonText _json = new();
    private readonly List<Item> _items = [];
    private readonly Dictionary<long, Item> _toolItems = [];
    private Item? _current;
    private string _responseId = "";
    private string _messageId = "";
    private long _created;
    private long _sequence;
    private bool _started;
    private bool _done;
    private string? _finish;
    private JsonObject? _usage;

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
            Error(output, StreamEvents.GetString(error, "code") ?? StreamEvents.GetString(error, "type"), StreamEvents.GetString(error, "message") ?? "The model provider reported an error.");
            return;
        }

        EnsureStarted(output, StreamEvents.GetString(root, "id"), StreamEvents.GetLong(root, "created"));
        if (StreamEvents.Get(root, "usage") is { ValueKind: JsonValueKind.Object } usage)
        {
            _usage = ChatToResponses.Usage(JsonNode.Parse(usage.GetRawText()) as JsonObject);
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
                if (_current is not { IsMessage: true })
                {
                    CloseCurrent(output);
                    OpenMessage(output);
                }

                _current!.Text.Append(text);
                var w = Begin("response.output_text.delta");
                w.WriteString("item_id", _current.Id);
                w.WriteNumber("output_index", _current.OutputIndex);
                w.WriteNumber("content_index", 0);
                w.WriteString("delta", text);
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
                End(output, "response.output_text.delta");
            }

            var toolCalls = StreamEvents.Get(delta, "tool_calls");
            if (toolCalls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in toolCalls.EnumerateArray())
                {
                    var index = StreamEvents.GetLong(call, "index") ?? 0;
                    var function = StreamEvents.Get(call, "function");
                    if (!_toolItems.TryGetValue(index, out var item))
                    {
                        CloseCurrent(output);
                        var callId = StreamEvents.GetString(call, "id") ?? $"call_{_messageId}_{index}";
                        item = new Item(false, Ids.FunctionCallItemId(callId), _items.Count)
                        {
                            CallId = callId,
                            Name = StreamEvents.GetString(function, "name") ?? "",
                        };
                        _items.Add(item);
                        _toolItems[index] = item;
                        _current = item;
                        var w = Begin("response.output_item.added");
                        w.WriteNumber("output_index", item.OutputIndex);
                        w.WritePropertyName("item");
                        ItemJson(item, "in_progress").WriteTo(w);
                        End(output, "response.output_item.added");
                    }

                    if (StreamEvents.GetString(function, "arguments") is { Length: > 0 } arguments)
                    {
                        item.Text.Append(arguments);
                        var w = Begin("response.function_call_arguments.delta");
                        w.WriteString("item_id", item.Id);
                        w.WriteNumber("output_index", item.OutputIndex);
                        w.WriteString("delta", arguments);
                        End(output, "response.function_call_arguments.delta");
                    }
                }
            }

            if (StreamEvents.GetString(choice, "finish_reason") is { } finish)
            {
                _finish = finish;
                CloseCurrent(output);
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

        Error(output, "upstream_error", StreamEvents.TruncatedMessage);
    }

    private void EnsureStarted(List<SseEvent> output, string? id, long? created)
    {
        if (_started)
        {
            return;
        }

        _started = true;
        _responseId = Ids.ResponseId(id);
        _messageId = Ids.MessageId(id);
        _created = created ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var response = ChatToResponses.ResponseObject(_responseId, _created, clientModel, "in_progress", null, [], null);
        foreach (var type in (string[])["response.created", "response.in_progress"])
        {
            var w = Begin(type);
            w.WritePropertyName("response");
            response.WriteTo(w);
            End(output, type);
        }
    }

    private void OpenMessage(List<SseEvent> output)
    {
        var item = new Item(true, _items.Count == 0 ? _messageId : $"{_messageId}_{_items.Count}", _items.Count);
        _items.Add(item);
        _current = item;
        var w = Begin("response.output_item.added");
        w.WriteNumber("output_index", item.OutputIndex);
        w.WritePropertyName("item");
        ItemJson(item, "in_progress").WriteTo(w);
        End(output, "response.output_item.added");

        w = Begin("response.content_part.added");
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", item.OutputIndex);
        w.WriteNumber("content_index", 0);
        w.WritePropertyName("part");
        ChatToResponses.OutputText("").WriteTo(w);
        End(output, "response.content_part.added");
    }

    private void CloseCurrent(List<SseEvent> output)
    {
        if (_current is not { } item)
        {
            return;
        }

        _current = null;
        var text = item.Text.ToString();
        Utf8JsonWriter w;
        if (item.IsMessage)
        {
            w = Begin("response.output_text.done");
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", item.OutputIndex);
            w.WriteNumber("content_index", 0);
            w.WriteString("text", text);
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
            End(output, "response.output_text.done");

            w = Begin("response.content_part.done");
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", item.OutputIndex);
            w.WriteNumber("content_index", 0);
            w.WritePropertyName("part");
            ChatToResponses.OutputText(text).WriteTo(w);
            End(output, "response.content_part.done");
        }
        else
        {
            w = Begin("response.function_call_arguments.done");
            w.WriteString("item_id", item.Id);
            w.WriteNumber("output_index", item.OutputIndex);
            w.WriteString("name", item.Name);
            w.WriteString("arguments", text);
            End(output, "response.function_call_arguments.done");
        }

        w = Begin("response.output_item.done");
        w.WriteNumber("output_index", item.OutputIndex);
        w.WritePropertyName("item");
        ItemJson(item, "completed").WriteTo(w);
        End(output, "response.output_item.done");
    }

    private void Finish(List<SseEvent> output)
    {
        EnsureStarted(output, null, null);
        CloseCurrent(output);
        var (status, reason) = StopReasons.ChatToResponses(_finish);
        var items = new JsonArray();
        foreach (var item in _items)
        {
            items.Add(ItemJson(item, "completed"));
        }

        var response = ChatToResponses.ResponseObject(_responseId, _created, clientModel, status, reason, items, _usage);
        var type = status == "completed" ? "response.completed" : "response.incomplete";
        var w = Begin(type);
        w.WritePropertyName("response");
        response.WriteTo(w);
        End(output, type);
        _done = true;
    }

    private void Error(List<SseEvent> output, string? code, string message)
    {
        var w = Begin("error");
        if (code is null)
        {
            w.WriteNull("code");
        }
        else
        {
            w.WriteString("code", code);
        }

        w.WriteString("message", message);
        w.WriteNull("param");
        End(output, "error");
        _done = true;
    }

    private JsonObject ItemJson(Item item, string status) => item.IsMessage
        ? ChatToResponses.MessageItem(item.Id, status, status == "completed" ? [ChatToResponses.OutputText(item.Text.ToString())] : [])
        : ChatToResponses.FunctionCallItem(item.Id, item.CallId, item.Name, status == "completed" ? item.Text.ToString() : "", status);

    private Utf8JsonWriter Begin(string type)
    {
        var w = _json.Start();
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteNumber("sequence_number", _sequence++);
        return w;
    }

    private void End(List<SseEvent> output, string type)
    {
        _json.Writer.WriteEndObject();
        output.Add(new SseEvent(type, _json.Finish()));
    }

    private sealed class Item(bool isMessage, string id, int outputIndex)
    {
        public bool IsMessage { get; } = isMessage;

        public string Id { get; } = id;

        public int OutputIndex { get; } = outputIndex;

        public string CallId { get; init; } = "";

        public string Name { get; init; } = "";

        public StringBuilder Text { get; } = new();
    }
}
