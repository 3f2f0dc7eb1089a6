using System.Text.Json;
using Warden.ScriptedModel.Hosting;
using Warden.ScriptedModel.Streaming;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// Anthropic Messages bodies: the <c>message</c> object with <c>text</c> and <c>tool_use</c> blocks, and the event
/// stream (<c>message_start</c>, <c>content_block_start</c>, <c>ping</c>, <c>content_block_delta</c> with
/// <c>text_delta</c> or <c>input_json_delta</c>, <c>content_block_stop</c>, <c>message_delta</c>,
/// <c>message_stop</c>). Bedrock sends the same events inside event-stream frames, with invocation metrics added to
/// <c>message_stop</c>.
/// </summary>
internal static class AnthropicWire
{
    private static readonly byte[] MessageStart = "message_start"u8.ToArray();
    private static readonly byte[] BlockStart = "content_block_start"u8.ToArray();
    private static readonly byte[] Ping = "ping"u8.ToArray();
    private static readonly byte[] BlockDelta = "content_block_delta"u8.ToArray();
    private static readonly byte[] BlockStop = "content_block_stop"u8.ToArray();
    private static readonly byte[] MessageDelta = "message_delta"u8.ToArray();
    private static readonly byte[] MessageStop = "message_stop"u8.ToArray();

    /// <summary>The <c>stop_reason</c> for a stop reason.</summary>
    public static string StopReason(ScriptedStopReason reason) => reason switch
    {
        ScriptedStopReason.ToolUse => "tool_use",
        ScriptedStopReason.MaxTokens => "max_tokens",
        _ => "end_turn",
    };

    /// <summary>Writes the non-streaming <c>message</c> object.</summary>
    public static void WriteMessage(Utf8JsonWriter w, TurnPlan plan)
    {
        WriteMessageStart(w, plan);
        w.WriteStartArray("content");
        if (plan.HasText)
        {
            w.WriteStartObject();
            w.WriteString("type", "text");
            w.WriteString("text", plan.Text);
            w.WriteEndObject();
        }

        foreach (var call in plan.ToolCalls)
        {
            w.WriteStartObject();
            w.WriteString("type", "tool_use");
            w.WriteString("id", call.Id);
            w.WriteString("name", call.Name);
            w.WritePropertyName("input");
            w.WriteRawValue(call.Arguments);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("stop_reason", StopReason(plan.StopReason));
        w.WriteNull("stop_sequence");
        WriteUsage(w, plan.InputTokens, plan.OutputTokens);
        w.WriteEndObject();
    }

    /// <summary>Writes the event stream, ending with <c>message_stop</c> unless cut or abandoned.</summary>
    /// <param name="sink">SSE for the Anthropic API, event-stream frames for Bedrock.</param>
    /// <param name="plan">The answer.</param>
    /// <param name="bedrockMetrics">When set, <c>message_stop</c> carries <c>amazon-bedrock-invocationMetrics</c> (latencies in milliseconds).</param>
    public static async Task WriteStreamAsync(EventSink sink, TurnPlan plan, (long FirstByteMs, Func<long> ElapsedMs)? bedrockMetrics)
    {
        var w = sink.Json;

        if (!await sink.BeginAsync(MessageStart).ConfigureAwait(false))
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "message_start");
        w.WritePropertyName("message");
        WriteMessageStart(w, plan);
        w.WriteStartArray("content");
        w.WriteEndArray();
        w.WriteNull("stop_reason");
        w.WriteNull("stop_sequence");
        WriteUsage(w, plan.InputTokens, 1);
        w.WriteEndObject();
        w.WriteEndObject();
        if (!await sink.EndAsync().ConfigureAwait(false))
        {
            return;
        }

        // The API sends a ping after the first block starts (or straight away when there are no blocks).
        var pinged = false;
        var index = 0;
        if (plan.HasText)
        {
            if (!await StartBlockAsync(sink, index, null).ConfigureAwait(false) || !await PingAsync(sink).ConfigureAwait(false))
            {
                return;
            }

            pinged = true;

            foreach (var range in plan.TextChunks)
            {
                if (!await sink.BeginAsync(BlockDelta).ConfigureAwait(false))
                {
                    return;
                }

                StartDelta(w, index, "text_delta");
                w.WriteString("text", plan.Text.AsSpan()[range]);
                w.WriteEndObject();
                w.WriteEndObject();
                if (!await sink.EndAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!await StopBlockAsync(sink, index++).ConfigureAwait(false))
            {
                return;
            }
        }

        foreach (var call in plan.ToolCalls)
        {
            if (!await StartBlockAsync(sink, index, call).ConfigureAwait(false))
            {
                return;
            }

            if (!pinged)
            {
                if (!await PingAsync(sink).ConfigureAwait(false))
                {
                    return;
                }

                pinged = true;
            }

            foreach (var range in call.ArgumentChunks)
            {
                if (!await sink.BeginAsync(BlockDelta).ConfigureAwait(false))
                {
                    return;
                }

                StartDelta(w, index, "input_json_delta");
                w.WriteString("partial_json", call.Arguments.AsSpan()[range]);
                w.WriteEndObject();
                w.WriteEndObject();
                if (!await sink.EndAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!await StopBlockAsync(sink, index++).ConfigureAwait(false))
            {
                return;
            }
        }

        if (!pinged && !await PingAsync(sink).ConfigureAwait(false))
        {
            return;
        }

        if (!await sink.BeginAsync(MessageDelta).ConfigureAwait(false))
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "message_delta");
        w.WriteStartObject("delta");
        w.WriteString("stop_reason", StopReason(plan.StopReason));
        w.WriteNull("stop_sequence");
        w.WriteEndObject();
        w.WriteStartObject("usage");
        w.WriteNumber("output_tokens", plan.OutputTokens);
        w.WriteEndObject();
        w.WriteEndObject();
        if (!await sink.EndAsync().ConfigureAwait(false))
        {
            return;
        }

        if (!await sink.BeginAsync(MessageStop).ConfigureAwait(false))
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", "message_stop");
        if (bedrockMetrics is { } metrics)
        {
            w.WriteStartObject("amazon-bedrock-invocationMetrics");
            w.WriteNumber("inputTokenCount", plan.InputTokens);
            w.WriteNumber("outputTokenCount", plan.OutputTokens);
            w.WriteNumber("invocationLatency", metrics.ElapsedMs());
            w.WriteNumber("firstByteLatency", metrics.FirstByteMs);
            w.WriteEndObject();
        }

        w.WriteEndObject();
        await sink.EndAsync().ConfigureAwait(false);
    }

    // id, type, role, model: the common head of the message object.
    private static void WriteMessageStart(Utf8JsonWriter w, TurnPlan plan)
    {
        w.WriteStartObject();
        w.WriteString("id", plan.Id("msg_"));
        w.WriteString("type", "message");
        w.WriteString("role", "assistant");
        w.WriteString("model", plan.Model);
    }

    private static void WriteUsage(Utf8JsonWriter w, int inputTokens, int outputTokens)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", inputTokens);
        w.WriteNumber("cache_creation_input_tokens", 0);
        w.WriteNumber("cache_read_input_tokens", 0);
        w.WriteNumber("output_tokens", outputTokens);
        w.WriteString("service_tier", "standard");
        w.WriteEndObject();
    }

    private static void StartDelta(Utf8JsonWriter w, int index, string deltaType)
    {
        w.WriteStartObject();
        w.WriteString("type", "content_block_delta");
        w.WriteNumber("index", index);
        w.WriteStartObject("delta");
        w.WriteString("type", deltaType);
    }

    private static async ValueTask<bool> StartBlockAsync(EventSink sink, int index, PlannedToolCall? call)
    {
        if (!await sink.BeginAsync(BlockStart).ConfigureAwait(false))
        {
            return false;
        }

        var w = sink.Json;
        w.WriteStartObject();
        w.WriteString("type", "content_block_start");
        w.WriteNumber("index", index);
        w.WriteStartObject("content_block");
        if (call is null)
        {
            w.WriteString("type", "text");
            w.WriteString("text", string.Empty);
        }
        else
        {
            w.WriteString("type", "tool_use");
            w.WriteString("id", call.Id);
            w.WriteString("name", call.Name);
            w.WriteStartObject("input");
            w.WriteEndObject();
        }

        w.WriteEndObject();
        w.WriteEndObject();
        return await sink.EndAsync().ConfigureAwait(false);
    }

    private static async ValueTask<bool> StopBlockAsync(EventSink sink, int index)
    {
        if (!await sink.BeginAsync(BlockStop).ConfigureAwait(false))
        {
            return false;
        }

        sink.Json.WriteStartObject();
        sink.Json.WriteString("type", "content_block_stop");
        sink.Json.WriteNumber("index", index);
        sink.Json.WriteEndObject();
        return await sink.EndAsync().ConfigureAwait(false);
    }

    private static async ValueTask<bool> PingAsync(EventSink sink)
    {
        if (!await sink.BeginAsync(Ping).ConfigureAwait(false))
        {
            return false;
        }

        sink.Json.WriteStartObject();
        sink.Json.WriteString("type", "ping");
        sink.Json.WriteEndObject();
        return await sink.EndAsync().ConfigureAwait(false);
    }
}
