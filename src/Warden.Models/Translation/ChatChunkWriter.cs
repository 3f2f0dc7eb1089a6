using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>Writes OpenAI <c>chat.completion.chunk</c> events for one translated stream.</summary>
internal sealed class ChatChunkWriter(string model)
{
    private readonly JsonText _json = new();
    private bool _roleSent;

    public string Id { get; set; } = Ids.ChatId(null);

    public long Created { get; set; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>The first chunk, once: the assistant role with empty content.</summary>
    public void EnsureRole(List<SseEvent> output)
    {
        if (_roleSent)
        {
            return;
        }

        _roleSent = true;
        var w = Begin();
        w.WriteString("role", "assistant");
        w.WriteString("content", "");
        w.WriteNull("refusal");
        End(output, null);
    }

    /// <summary>A text delta (<paramref name="field"/> is <c>content</c> or <c>refusal</c>).</summary>
    public void Text(List<SseEvent> output, string text, string field = "content")
    {
        var w = Begin();
        w.WriteString(field, text);
        End(output, null);
    }

    /// <summary>The first chunk of a tool call: id, type and name, empty arguments.</summary>
    public void ToolStart(List<SseEvent> output, int index, string id, string name)
    {
        var w = Begin();
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteString("id", id);
        w.WriteString("type", "function");
        w.WriteStartObject("function");
        w.WriteString("name", name);
        w.WriteString("arguments", "");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        End(output, null);
    }

    /// <summary>A piece of a tool call's arguments.</summary>
    public void ToolArguments(List<SseEvent> output, int index, string arguments)
    {
        var w = Begin();
        w.WriteStartArray("tool_calls");
        w.WriteStartObject();
        w.WriteNumber("index", index);
        w.WriteStartObject("function");
        w.WriteString("arguments", arguments);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        End(output, null);
    }

    /// <summary>The last choice chunk: an empty delta with the finish reason.</summary>
    public void Finish(List<SseEvent> output, string finishReason)
    {
        Begin();
        End(output, finishReason);
    }

    /// <summary>The usage chunk (no choices), as sent for <c>stream_options.include_usage</c>.</summary>
    public void Usage(List<SseEvent> output, long promptTokens, long completionTokens, long cachedTokens)
    {
        var w = _json.Start();
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteEndArray();
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", promptTokens);
        w.WriteNumber("completion_tokens", completionTokens);
        w.WriteNumber("total_tokens", promptTokens + completionTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", cachedTokens);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        output.Add(new SseEvent(null, _json.Finish()));
    }

    /// <summary>The closing <c>[DONE]</c>.</summary>
    public static void Done(List<SseEvent> output) => output.Add(new SseEvent(null, StreamEvents.Done));

    /// <summary>An error in the stream, as OpenAI sends it: <c>{"error":{...}}</c>.</summary>
    public void Error(List<SseEvent> output, ModelErrorKind kind, string message)
    {
        var w = _json.Start();
        ModelErrors.WriteBody(w, WireFormat.OpenAIChat, kind, message, null, null);
        output.Add(new SseEvent(null, _json.Finish()));
    }

    private Utf8JsonWriter Begin()
    {
        var w = _json.Start();
        WriteHeader(w);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        return w;
    }

    private void End(List<SseEvent> output, string? finishReason)
    {
        var w = _json.Writer;
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        output.Add(new SseEvent(null, _json.Finish()));
    }

    private void WriteHeader(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", Created);
        w.WriteString("model", model);
        w.WriteNull("system_fingerprint");
    }
}
