using System.Text.Json;
using Warden.ScriptedModel.Hosting;
using Warden.ScriptedModel.Streaming;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// OpenAI Responses API bodies: the <c>response</c> object with <c>message</c> (<c>output_text</c>) and
/// <c>function_call</c> output items, and the semantic event stream (<c>response.created</c>,
/// <c>response.in_progress</c>, item/part/text/arguments events, <c>response.completed</c>), each event carrying its
/// <c>type</c> and a <c>sequence_number</c>.
/// </summary>
internal static class OpenAIResponsesWire
{
    private static readonly byte[] Created = "response.created"u8.ToArray();
    private static readonly byte[] InProgress = "response.in_progress"u8.ToArray();
    private static readonly byte[] ItemAdded = "response.output_item.added"u8.ToArray();
    private static readonly byte[] ItemDone = "response.output_item.done"u8.ToArray();
    private static readonly byte[] PartAdded = "response.content_part.added"u8.ToArray();
    private static readonly byte[] PartDone = "response.content_part.done"u8.ToArray();
    private static readonly byte[] TextDelta = "response.output_text.delta"u8.ToArray();
    private static readonly byte[] TextDone = "response.output_text.done"u8.ToArray();
    private static readonly byte[] ArgumentsDelta = "response.function_call_arguments.delta"u8.ToArray();
    private static readonly byte[] ArgumentsDone = "response.function_call_arguments.done"u8.ToArray();
    private static readonly byte[] Completed = "response.completed"u8.ToArray();
    private static readonly byte[] Incomplete = "response.incomplete"u8.ToArray();

    /// <summary>Writes the non-streaming <c>response</c> object.</summary>
    public static void WriteResponse(Utf8JsonWriter w, TurnPlan plan) => WriteResponseObject(w, plan, final: true);

    /// <summary>Writes the event stream, ending with <c>response.completed</c> (or <c>response.incomplete</c>).</summary>
    public static async Task WriteStreamAsync(SseEventSink sink, TurnPlan plan)
    {
        var w = sink.Json;
        var sequence = 0;

        foreach (var (name, type) in new[] { (Created, "response.created"), (InProgress, "response.in_progress") })
        {
            if (!await sink.BeginAsync(name).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, type, ref sequence);
            w.WritePropertyName("response");
            WriteResponseObject(w, plan, final: false);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        var outputIndex = 0;
        if (plan.HasText)
        {
            var itemId = plan.ItemId("msg_", 0);

            if (!await sink.BeginAsync(ItemAdded).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.output_item.added", ref sequence);
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteMessageItem(w, itemId, plan, done: false);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            if (!await sink.BeginAsync(PartAdded).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.content_part.added", ref sequence);
            WriteItemPosition(w, itemId, outputIndex, contentIndex: 0);
            w.WritePropertyName("part");
            WriteOutputText(w, string.Empty);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            foreach (var range in plan.TextChunks)
            {
                if (!await sink.BeginAsync(TextDelta).ConfigureAwait(false))
                {
                    return;
                }

                StartEvent(w, "response.output_text.delta", ref sequence);
                WriteItemPosition(w, itemId, outputIndex, contentIndex: 0);
                w.WriteString("delta", plan.Text.AsSpan()[range]);
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
                w.WriteEndObject();
                if (!await sink.EndAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!await sink.BeginAsync(TextDone).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.output_text.done", ref sequence);
            WriteItemPosition(w, itemId, outputIndex, contentIndex: 0);
            w.WriteString("text", plan.Text);
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            if (!await sink.BeginAsync(PartDone).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.content_part.done", ref sequence);
            WriteItemPosition(w, itemId, outputIndex, contentIndex: 0);
            w.WritePropertyName("part");
            WriteOutputText(w, plan.Text);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            if (!await sink.BeginAsync(ItemDone).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.output_item.done", ref sequence);
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteMessageItem(w, itemId, plan, done: true);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            outputIndex++;
        }

        for (var i = 0; i < plan.ToolCalls.Count; i++, outputIndex++)
        {
            var call = plan.ToolCalls[i];
            var itemId = plan.ItemId("fc_", i);

            if (!await sink.BeginAsync(ItemAdded).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.output_item.added", ref sequence);
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteFunctionCallItem(w, itemId, call, done: false);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            foreach (var range in call.ArgumentChunks)
            {
                if (!await sink.BeginAsync(ArgumentsDelta).ConfigureAwait(false))
                {
                    return;
                }

                StartEvent(w, "response.function_call_arguments.delta", ref sequence);
                w.WriteString("item_id", itemId);
                w.WriteNumber("output_index", outputIndex);
                w.WriteString("delta", call.Arguments.AsSpan()[range]);
                w.WriteEndObject();
                if (!await sink.EndAsync().ConfigureAwait(false))
                {
                    return;
                }
            }

            if (!await sink.BeginAsync(ArgumentsDone).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.function_call_arguments.done", ref sequence);
            w.WriteString("item_id", itemId);
            w.WriteNumber("output_index", outputIndex);
            w.WriteString("name", call.Name);
            w.WriteString("arguments", call.Arguments);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }

            if (!await sink.BeginAsync(ItemDone).ConfigureAwait(false))
            {
                return;
            }

            StartEvent(w, "response.output_item.done", ref sequence);
            w.WriteNumber("output_index", outputIndex);
            w.WritePropertyName("item");
            WriteFunctionCallItem(w, itemId, call, done: true);
            w.WriteEndObject();
            if (!await sink.EndAsync().ConfigureAwait(false))
            {
                return;
            }
        }

        var incomplete = plan.StopReason == ScriptedStopReason.MaxTokens;
        if (!await sink.BeginAsync(incomplete ? Incomplete : Completed).ConfigureAwait(false))
        {
            return;
        }

        StartEvent(w, incomplete ? "response.incomplete" : "response.completed", ref sequence);
        w.WritePropertyName("response");
        WriteResponseObject(w, plan, final: true);
        w.WriteEndObject();
        await sink.EndAsync().ConfigureAwait(false);
    }

    private static void StartEvent(Utf8JsonWriter w, string type, ref int sequence)
    {
        w.WriteStartObject();
        w.WriteString("type", type);
        w.WriteNumber("sequence_number", sequence++);
    }

    private static void WriteItemPosition(Utf8JsonWriter w, string itemId, int outputIndex, int contentIndex)
    {
        w.WriteString("item_id", itemId);
        w.WriteNumber("output_index", outputIndex);
        w.WriteNumber("content_index", contentIndex);
    }

    private static void WriteResponseObject(Utf8JsonWriter w, TurnPlan plan, bool final)
    {
        var incomplete = final && plan.StopReason == ScriptedStopReason.MaxTokens;
        w.WriteStartObject();
        w.WriteString("id", plan.Id("resp_"));
        w.WriteString("object", "response");
        w.WriteNumber("created_at", plan.Created);
        w.WriteString("status", !final ? "in_progress" : incomplete ? "incomplete" : "completed");
        w.WriteBoolean("background", false);
        w.WriteNull("error");
        if (incomplete)
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", "max_output_tokens");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        w.WriteNull("instructions");
        w.WriteNull("max_output_tokens");
        w.WriteNull("max_tool_calls");
        w.WriteString("model", plan.Model);
        w.WriteStartArray("output");
        if (final)
        {
            if (plan.HasText)
            {
                WriteMessageItem(w, plan.ItemId("msg_", 0), plan, done: true);
            }

            for (var i = 0; i < plan.ToolCalls.Count; i++)
            {
                WriteFunctionCallItem(w, plan.ItemId("fc_", i), plan.ToolCalls[i], done: true);
            }
        }

        w.WriteEndArray();
        w.WriteBoolean("parallel_tool_calls", true);
        w.WriteNull("previous_response_id");
        w.WriteNull("prompt_cache_key");
        w.WriteStartObject("reasoning");
        w.WriteNull("effort");
        w.WriteNull("summary");
        w.WriteEndObject();
        w.WriteNull("safety_identifier");
        w.WriteString("service_tier", "default");
        w.WriteBoolean("store", true);
        w.WriteNumber("temperature", 1.0);
        w.WriteStartObject("text");
        w.WriteStartObject("format");
        w.WriteString("type", "text");
        w.WriteEndObject();
        w.WriteString("verbosity", "medium");
        w.WriteEndObject();
        w.WriteString("tool_choice", "auto");
        w.WriteStartArray("tools");
        w.WriteEndArray();
        w.WriteNumber("top_logprobs", 0);
        w.WriteNumber("top_p", 1.0);
        w.WriteString("truncation", "disabled");
        if (final)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", plan.InputTokens);
            w.WriteStartObject("input_tokens_details");
            w.WriteNumber("cached_tokens", 0);
            w.WriteEndObject();
            w.WriteNumber("output_tokens", plan.OutputTokens);
            w.WriteStartObject("output_tokens_details");
            w.WriteNumber("reasoning_tokens", 0);
            w.WriteEndObject();
            w.WriteNumber("total_tokens", plan.InputTokens + plan.OutputTokens);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("usage");
        }

        w.WriteNull("user");
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteMessageItem(Utf8JsonWriter w, string itemId, TurnPlan plan, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", itemId);
        w.WriteString("type", "message");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteStartArray("content");
        if (done)
        {
            WriteOutputText(w, plan.Text);
        }

        w.WriteEndArray();
        w.WriteString("role", "assistant");
        w.WriteEndObject();
    }

    private static void WriteOutputText(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteStartArray("logprobs");
        w.WriteEndArray();
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    private static void WriteFunctionCallItem(Utf8JsonWriter w, string itemId, PlannedToolCall call, bool done)
    {
        w.WriteStartObject();
        w.WriteString("id", itemId);
        w.WriteString("type", "function_call");
        w.WriteString("status", done ? "completed" : "in_progress");
        w.WriteString("arguments", done ? call.Arguments : string.Empty);
        w.WriteString("call_id", call.Id);
        w.WriteString("name", call.Name);
        w.WriteEndObject();
    }
}
