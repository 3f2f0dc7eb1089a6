using System.Text;
using System.Text.Json.Nodes;

namespace Warden.Models.Tests;

/// <summary>Rebuilds what a client would see from a translated stream, checking the sequence rules on the way.</summary>
internal static class StreamAccumulators
{
    public static List<SseEvent> Translate(IStreamTranslator translator, IEnumerable<SseEvent> upstream, bool complete = true)
    {
        var output = new List<SseEvent>();
        foreach (var e in upstream)
        {
            translator.Translate(e, output);
        }

        if (complete)
        {
            translator.Complete(output);
        }

        return output;
    }

    public sealed record ChatResult(string Text, List<(string Id, string Name, string Arguments)> ToolCalls, string? FinishReason, JsonNode? Usage, string Id);

    /// <summary>Chat chunks as the OpenAI SDK accumulates them; asserts the role comes first and [DONE] last.</summary>
    public static ChatResult Chat(List<SseEvent> events)
    {
        events[^1].Data.ShouldBe("[DONE]");
        var text = new StringBuilder();
        var tools = new SortedDictionary<int, (string Id, string Name, StringBuilder Args)>();
        string? finish = null;
        JsonNode? usage = null;
        string? id = null;
        var first = true;
        foreach (var e in events.SkipLast(1))
        {
            e.Event.ShouldBeNull();
            var chunk = JsonNode.Parse(e.Data)!;
            Json.Str(chunk["object"]).ShouldBe("chat.completion.chunk");
            id ??= Json.Str(chunk["id"]);
            Json.Str(chunk["id"]).ShouldBe(id);
            if (chunk["usage"] is { } u)
            {
                usage = u;
                chunk["choices"]!.AsArray().ShouldBeEmpty();
                continue;
            }

            var choice = chunk["choices"]![0]!;
            if (first)
            {
                Json.Str(choice["delta"]!["role"]).ShouldBe("assistant");
                first = false;
            }

            finish.ShouldBeNull("nothing follows the finish chunk but usage");
            if (choice["delta"]!["content"]?.GetValue<string>() is { } content)
            {
                text.Append(content);
            }

            foreach (var call in choice["delta"]!["tool_calls"]?.AsArray() ?? [])
            {
                var index = (int)Json.Num(call!["index"]);
                if (call["id"] is { } callId)
                {
                    tools.ContainsKey(index).ShouldBeFalse();
                    tools[index] = (callId.GetValue<string>(), Json.Str(call["function"]!["name"]), new StringBuilder());
                }

                tools[index].Args.Append(call["function"]?["arguments"]?.GetValue<string>());
            }

            finish = choice["finish_reason"]?.GetValue<string>();
        }

        return new ChatResult(text.ToString(), [.. tools.Values.Select(t => (t.Id, t.Name, t.Args.ToString()))], finish, usage, id!);
    }

    public sealed record AnthropicResult(JsonObject Start, List<JsonObject> Blocks, string? StopReason, JsonNode? Usage);

    /// <summary>Anthropic events as the Anthropic SDK accumulates them; asserts the event order rules.</summary>
    public static AnthropicResult Anthropic(List<SseEvent> events)
    {
        events[0].Event.ShouldBe("message_start");
        events[^1].Event.ShouldBe("message_stop");
        events[^2].Event.ShouldBe("message_delta");
        var start = JsonNode.Parse(events[0].Data)!["message"]!.AsObject();
        var blocks = new List<JsonObject>();
        var partial = new Dictionary<int, StringBuilder>();
        var open = -1;
        foreach (var e in events.Skip(1).SkipLast(2))
        {
            var data = JsonNode.Parse(e.Data)!;
            Json.Str(data["type"]).ShouldBe(e.Event);
            var index = (int)Json.Num(data["index"]);
            switch (e.Event)
            {
                case "content_block_start":
                    open.ShouldBe(-1, "a block opens only after the previous one stopped");
                    index.ShouldBe(blocks.Count, "block indexes increase by one");
                    blocks.Add(data["content_block"]!.DeepClone().AsObject());
                    open = index;
                    break;
                case "content_block_delta":
                    index.ShouldBe(open);
                    var delta = data["delta"]!;
                    if (Json.Str(delta["type"]) == "text_delta")
                    {
                        blocks[index]["text"] = Json.Str(blocks[index]["text"]) + Json.Str(delta["text"]);
                    }
                    else
                    {
                        Json.Str(delta["type"]).ShouldBe("input_json_delta");
                        (partial.TryGetValue(index, out var sb) ? sb : partial[index] = new StringBuilder()).Append(Json.Str(delta["partial_json"]));
                    }

                    break;
                case "content_block_stop":
                    index.ShouldBe(open);
                    if (partial.TryGetValue(index, out var json))
                    {
                        blocks[index]["input"] = JsonNode.Parse(json.ToString());
                    }

                    open = -1;
                    break;
                default:
                    throw new ShouldAssertException($"unexpected event {e.Event}");
            }
        }

        open.ShouldBe(-1);
        var messageDelta = JsonNode.Parse(events[^2].Data)!;
        return new AnthropicResult(start, blocks, messageDelta["delta"]!["stop_reason"]?.GetValue<string>(), messageDelta["usage"]);
    }

    /// <summary>Responses events: sequence numbers increase from 0; returns the final response object.</summary>
    public static JsonObject Responses(List<SseEvent> events, List<string>? types = null)
    {
        var expected = 0L;
        foreach (var e in events)
        {
            var data = JsonNode.Parse(e.Data)!;
            Json.Str(data["type"]).ShouldBe(e.Event);
            Json.Num(data["sequence_number"]).ShouldBe(expected++);
            types?.Add(e.Event!);
        }

        events[0].Event.ShouldBe("response.created");
        events[^1].Event.ShouldBeOneOf("response.completed", "response.incomplete");
        return JsonNode.Parse(events[^1].Data)!["response"]!.AsObject();
    }
}
