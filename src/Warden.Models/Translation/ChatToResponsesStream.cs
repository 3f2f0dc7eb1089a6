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
internal sealed class ChatToResponsesStream(string clientModel) : ChatChunkReader
{
    private readonly JsonText _json = new();
    private readonly List<Item> _items = [];
    private readonly Dictionary<long, Item> _toolItems = [];
    private Item? _current;
    private string _responseId = "";
    private string _messageId = "";
    private long _created;
    private long _sequence;
    private JsonObject? _usage;

    protected override void OnStart(List<SseEvent> output, string? id, long? created)
    {
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

    protected override void OnUsage(JsonElement usage) => _usage = ChatToResponses.Usage(JsonNode.Parse(usage.GetRawText()) as JsonObject);

    protected override void OnText(List<SseEvent> output, string text)
    {
        if (_current is not { IsMessage: true })
        {
            CloseCurrent(output);
            OpenMessage(output);
        }

        _current!.Text.Append(text);
        var w = BeginPart("response.output_text.delta", _current);
        w.WriteString("delta", text);
        w.WriteStartArray("logprobs");
        w.WriteEndArray();
        End(output, "response.output_text.delta");
    }

    protected override void OnToolCall(List<SseEvent> output, long index, string? id, string? name, string? arguments)
    {
        if (!_toolItems.TryGetValue(index, out var item))
        {
            CloseCurrent(output);
            var callId = id ?? $"call_{_messageId}_{index}";
            item = new Item(false, Ids.FunctionCallItemId(callId), _items.Count) { CallId = callId, Name = name ?? "" };
            _items.Add(item);
            _toolItems[index] = item;
            _current = item;
            var w = Begin("response.output_item.added");
            w.WriteNumber("output_index", item.OutputIndex);
            w.WritePropertyName("item");
            ItemJson(item, "in_progress").WriteTo(w);
            End(output, "response.output_item.added");
        }

        if (!string.IsNullOrEmpty(arguments))
        {
            item.Text.Append(arguments);
            var w = BeginItem("response.function_call_arguments.delta", item);
            w.WriteString("delta", arguments);
            End(output, "response.function_call_arguments.delta");
        }
    }

    protected override void OnFinishReason(List<SseEvent> output) => CloseCurrent(output);

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

        w = BeginPart("response.content_part.added", item);
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
            w = BeginPart("response.output_text.done", item);
            w.WriteString("text", text);
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
            End(output, "response.output_text.done");

            w = BeginPart("response.content_part.done", item);
            w.WritePropertyName("part");
            ChatToResponses.OutputText(text).WriteTo(w);
            End(output, "response.content_part.done");
        }
        else
        {
            w = BeginItem("response.function_call_arguments.done", item);
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

    protected override void OnFinish(List<SseEvent> output)
    {
        CloseCurrent(output);
        var (status, reason) = StopReasons.ChatToResponses(FinishReason);
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
    }

    protected override void OnError(List<SseEvent> output, string? code, string message)
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

    /// <summary>An event about <paramref name="item"/>.</summary>
    private Utf8JsonWriter BeginItem(string type, Item item)
    {
        var w = Begin(type);
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", item.OutputIndex);
        return w;
    }

    /// <summary>An event about the (only) text part of message <paramref name="item"/>.</summary>
    private Utf8JsonWriter BeginPart(string type, Item item)
    {
        var w = BeginItem(type, item);
        w.WriteNumber("content_index", 0);
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
