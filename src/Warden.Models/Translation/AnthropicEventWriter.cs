using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>Writes Anthropic Messages stream events (the SSE name is the event's type).</summary>
internal sealed class AnthropicEventWriter(string model)
{
    private readonly JsonText _json = new();

    public void MessageStart(List<SseEvent> output, string id, long inputTokens)
    {
        var w = Begin("message_start");
        w.WriteStartObject("message");
        w.WriteString("id", id);
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", model);
        w.WriteStartArray("content");
        w.WriteEndArray();
        w.WriteNull("stop_reason");
        w.WriteNull("stop_sequence");
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", inputTokens);
        w.WriteNumber("output_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
        End(output, "message_start");
    }

    public void TextBlockStart(List<SseEvent> output, int index)
    {
        var w = Begin("content_block_start");
        w.WriteNumber("index", index);
        w.WriteStartObject("content_block");
        w.WriteString("type", "text");
        w.WriteString("text", "");
        w.WriteEndObject();
        End(output, "content_block_start");
    }

    public void ToolBlockStart(List<SseEvent> output, int index, string id, string name)
    {
        var w = Begin("content_block_start");
        w.WriteNumber("index", index);
        w.WriteStartObject("content_block");
        w.WriteString("type", "tool_use");
        w.WriteString("id", id);
        w.WriteString("name", name);
        w.WriteStartObject("input");
        w.WriteEndObject();
        w.WriteStartObject("caller");
        w.WriteString("type", "direct");
        w.WriteEndObject();
        w.WriteEndObject();
        End(output, "content_block_start");
    }

    public void TextDelta(List<SseEvent> output, int index, string text) => Delta(output, index, "text_delta", "text", text);

    public void JsonDelta(List<SseEvent> output, int index, string partialJson) => Delta(output, index, "input_json_delta", "partial_json", partialJson);

    public void BlockStop(List<SseEvent> output, int index)
    {
        var w = Begin("content_block_stop");
        w.WriteNumber("index", index);
        End(output, "content_block_stop");
    }

    public void MessageDelta(List<SseEvent> output, string stopReason, long input, long cacheRead, long outputTokens)
    {
        var w = Begin("message_delta");
        w.WriteStartObject("delta");
        w.WriteString("stop_reason", stopReason);
        w.WriteNull("stop_sequence");
        w.WriteEndObject();
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", input);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", cacheRead);
        w.WriteNumber("output_tokens", outputTokens);
        w.WriteEndObject();
        End(output, "message_delta");
    }

    public void MessageStop(List<SseEvent> output)
    {
        Begin("message_stop");
        End(output, "message_stop");
    }

    public void Error(List<SseEvent> output, ModelErrorKind kind, string message)
    {
        var w = _json.Start();
        ModelErrors.WriteBody(w, WireFormat.AnthropicMessages, kind, message, null, null);
        output.Add(new SseEvent("error", _json.Finish()));
    }

    private void Delta(List<SseEvent> output, int index, string type, string field, string value)
    {
        var w = Begin("content_block_delta");
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        w.WriteString("type", type);
        w.WriteString(field, value);
        w.WriteEndObject();
        End(output, "content_block_delta");
    }

    private Utf8JsonWriter Begin(string type)
    {
        var w = _json.Start();
        w.WriteStartObject();
        w.WriteString("type", type);
        return w;
    }

    private void End(List<SseEvent> output, string type)
    {
        _json.Writer.WriteEndObject();
        output.Add(new SseEvent(type, _json.Finish()));
    }
}
