using System.Text.Json;
using Warden.ScriptedModel.Hosting;
using Warden.ScriptedModel.Streaming;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// OpenAI Chat Completions bodies: the <c>chat.completion</c> object, and the <c>chat.completion.chunk</c> stream
/// (role delta, content deltas, tool-call deltas by <c>index</c>, a finish chunk, an optional usage chunk with empty
/// <c>choices</c>, then <c>data: [DONE]</c>). Azure OpenAI uses the same bodies.
/// </summary>
internal static class OpenAIChatWire
{
    private const string SystemFingerprint = "fp_scripted";
    private static readonly byte[] Done = "[DONE]"u8.ToArray();

    /// <summary>The <c>finish_reason</c> for a stop reason.</summary>
    public static string FinishReason(ScriptedStopReason reason) => reason switch
    {
        ScriptedStopReason.ToolUse => "tool_calls",
        ScriptedStopReason.MaxTokens => "length",
        _ => "stop",
    };

    /// <summary>Writes the non-streaming <c>chat.completion</c> object.</summary>
    public static void WriteCompletion(Utf8JsonWriter w, TurnPlan plan)
    {
        w.WriteStartObject();
        w.WriteString("id", plan.Id("chatcmpl-"));
        w.WriteString("object", "chat.completion");
        w.WriteNumber("created", plan.Created);
        w.WriteString("model", plan.Model);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        if (plan.HasText)
        {
            w.WriteString("content", plan.Text);
        }
        else
        {
            w.WriteNull("content");
        }

        if (plan.ToolCalls.Count > 0)
        {
            w.WriteStartArray("tool_calls");
            foreach (var call in plan.ToolCalls)
            {
                w.WriteStartObject();
                w.WriteString("id", call.Id);
                w.WriteString("type", "function");
                w.WriteStartObject("function");
                w.WriteString("name", call.Name);
                w.WriteString("arguments", call.Arguments);
                w.WriteEndObject();
                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteNull("refusal");
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", FinishReason(plan.StopReason));
        w.WriteEndObject();
        w.WriteEndArray();
        w.WritePropertyName("usage");
        WriteUsage(w, plan);
        w.WriteString("service_tier", "default");
        w.WriteString("system_fingerprint", SystemFingerprint);
        w.WriteEndObject();
    }

    /// <summary>Writes the chunk stream, ending with <c>data: [DONE]</c> unless cut or abandoned.</summary>
    public static async Task WriteStreamAsync(SseEventSink sink, TurnPlan plan)
    {
        var id = plan.Id("chatcmpl-");
        var w = sink.Json;

        // The first chunk carries the role; content is "" when text follows and null when only tool calls do.
        if (!await sink.BeginAsync(null).ConfigureAwait(false))
        {
            return;
        }

        StartChunk(w, id, plan);
        w.WriteString("role", "assistant");
        if (plan.HasText || plan.ToolCalls.Count == 0)
        {
            w.WriteString("content", string.Empty);
        }
        else
        {
            w.WriteNull("content");
        }

        w.WriteNull("refusal");
        EndChunk(w, plan, null);
        if (!await sink.EndAsync().ConfigureAwait(false))
        {
            return;
        }

        foreach (var range in plan.TextChunks)
        {
            if (!await sink.BeginAsync(null).ConfigureAwait(false))
            {
                return;
            }

            StartChunk(w, id, plan);
            w.WriteString("content", plan.Text.AsSpan()[range]);
            EndChunk(w, plan, null);
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        for (var i = 0; i < plan.ToolCalls.Count; i++)
        {
            var call = plan.ToolCalls[i];
            if (!await sink.BeginAsync(null).ConfigureAwait(false))
            {
                return;
            }

            StartChunk(w, id, plan);
            w.WriteStartArray("tool_calls");
            w.WriteStartObject();
            w.WriteNumber("index", i);
            w.WriteString("id", call.Id);
            w.WriteString("type", "function");
            w.WriteStartObject("function");
            w.WriteString("name", call.Name);
            w.WriteString("arguments", string.Empty);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            EndChunk(w, plan, null);
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            foreach (var range in call.ArgumentChunks)
            {
                if (!await sink.BeginAsync(null).ConfigureAwait(false))
                {
                    return;
                }

                StartChunk(w, id, plan);
                w.WriteStartArray("tool_calls");
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WriteStartObject("function");
                w.WriteString("arguments", call.Arguments.AsSpan()[range]);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndArray();
                EndChunk(w, plan, null);
                if (!await sink.EndAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        if (!await sink.BeginAsync(null).ConfigureAwait(false))
        {
            return;
        }

        StartChunk(w, id, plan);
        EndChunk(w, plan, FinishReason(plan.StopReason));
        if (!await sink.EndAsync().ConfigureAwait(false))
        {
            return;
        }

        if (plan.IncludeUsage)
        {
            if (!await sink.BeginAsync(null).ConfigureAwait(false))
            {
                return;
            }

            WriteChunkHeader(w, id, plan);
            w.WriteStartArray("choices");
            w.WriteEndArray();
            w.WritePropertyName("usage");
            WriteUsage(w, plan);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        await sink.WriteRawAsync(Done).ConfigureAwait(false);
    }

    private static void WriteChunkHeader(Utf8JsonWriter w, string id, TurnPlan plan)
    {
        w.WriteStartObject();
        w.WriteString("id", id);
        w.WriteString("object", "chat.completion.chunk");
        w.WriteNumber("created", plan.Created);
        w.WriteString("model", plan.Model);
        w.WriteString("service_tier", "default");
        w.WriteString("system_fingerprint", SystemFingerprint);
    }

    // Opens a chunk up to and including the choice's "delta" object.
    private static void StartChunk(Utf8JsonWriter w, string id, TurnPlan plan)
    {
        WriteChunkHeader(w, id, plan);
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
    }

    // Closes the delta, the choice and the chunk; with include_usage every chunk carries "usage": null.
    private static void EndChunk(Utf8JsonWriter w, TurnPlan plan, string? finishReason)
    {
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
        if (plan.IncludeUsage)
        {
            w.WriteNull("usage");
        }

        w.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter w, TurnPlan plan)
    {
        w.WriteStartObject();
        w.WriteNumber("prompt_tokens", plan.InputTokens);
        w.WriteNumber("completion_tokens", plan.OutputTokens);
        w.WriteNumber("total_tokens", plan.InputTokens + plan.OutputTokens);
        w.WriteStartObject("prompt_tokens_details");
        w.WriteNumber("cached_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("completion_tokens_details");
        w.WriteNumber("reasoning_tokens", 0);
        w.WriteNumber("audio_tokens", 0);
        w.WriteNumber("accepted_prediction_tokens", 0);
        w.WriteNumber("rejected_prediction_tokens", 0);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
