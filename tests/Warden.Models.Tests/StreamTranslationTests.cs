using System.Text.Json.Nodes;

namespace Warden.Models.Tests;

public sealed class StreamTranslationTests
{
    [Fact]
    public void SameFormat_PassesEventsThrough()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.OpenAIChat, "m");

        var output = StreamAccumulators.Translate(translator, StreamTranscripts.ChatToolStream);

        output.ShouldBe(StreamTranscripts.ChatToolStream);
    }

    [Fact]
    public void AnthropicToChat_TextAndToolCalls()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "alias");

        var output = StreamAccumulators.Translate(translator, StreamTranscripts.AnthropicToolStream);
        var result = StreamAccumulators.Chat(output);

        result.Id.ShouldBe("chatcmpl-014p7gG3wDgGV9EUtLvnow3U");
        result.Text.ShouldBe("Okay, let's check.");
        result.ToolCalls.ShouldBe([
            ("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", """{"location": "San Francisco, CA", "unit": "fahrenheit"}"""),
            ("toolu_02", "get_time", """{"tz":"PST"}"""),
        ]);
        result.FinishReason.ShouldBe("tool_calls");
        result.Usage.ShouldEqualJson("""{"prompt_tokens":572,"completion_tokens":89,"total_tokens":661,"prompt_tokens_details":{"cached_tokens":100}}""");
        JsonNode.Parse(output[0].Data)!["model"]!.GetValue<string>().ShouldBe("alias");
    }

    [Fact]
    public void AnthropicToChat_WithoutUsageChunk()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "m", includeUsage: false);

        var result = StreamAccumulators.Chat(StreamAccumulators.Translate(translator, StreamTranscripts.AnthropicToolStream));

        result.Usage.ShouldBeNull();
        result.FinishReason.ShouldBe("tool_calls");
    }

    [Fact]
    public void ChatToAnthropic_TextAndToolCalls()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "claude-alias");

        var output = StreamAccumulators.Translate(translator, StreamTranscripts.ChatToolStream);
        var result = StreamAccumulators.Anthropic(output);

        Json.Str(result.Start["id"]).ShouldBe("msg_AbC123");
        Json.Str(result.Start["model"]).ShouldBe("claude-alias");
        result.Blocks.Count.ShouldBe(3);
        result.Blocks[0].ShouldEqualJson("""{"type":"text","text":"Let me look."}""");
        result.Blocks[1].ShouldEqualJson("""{"type":"tool_use","id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","name":"get_weather","input":{"location":"Paris"}, "caller": {"type": "direct"}}""");
        result.Blocks[2].ShouldEqualJson("""{"type":"tool_use","id":"call_2","name":"get_time","input":{}, "caller": {"type": "direct"}}""");
        result.StopReason.ShouldBe("tool_use");
        result.Usage.ShouldEqualJson("""{"input_tokens":18,"cache_creation_input_tokens":0,"cache_read_input_tokens":64,"output_tokens":40}""");
        output.Select(e => e.Event).Distinct().ShouldBe(
            ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    }

    [Fact]
    public void ChatToAnthropic_FinishWithoutDoneStillCloses()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "m");

        var output = StreamAccumulators.Translate(translator, StreamTranscripts.ChatToolStream.Take(10));
        var result = StreamAccumulators.Anthropic(output);

        result.StopReason.ShouldBe("tool_use");
        result.Usage!["output_tokens"]!.GetValue<long>().ShouldBe(0);
    }

    [Fact]
    public void ChatToResponses_TextAndToolCalls()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.OpenAIResponses, "alias");
        var types = new List<string>();

        var response = StreamAccumulators.Responses(StreamAccumulators.Translate(translator, StreamTranscripts.ChatToolStream), types);

        types.ShouldBe([
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ]);
        Json.Str(response["id"]).ShouldBe("resp_AbC123");
        Json.Str(response["status"]).ShouldBe("completed");
        response["output"].ShouldEqualJson("""
            [
              {"id":"msg_AbC123","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Let me look.","annotations":[],"logprobs":[]}]},
              {"id":"fc_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function_call","status":"completed","arguments":"{\"location\":\"Paris\"}","call_id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","name":"get_weather"},
              {"id":"fc_2","type":"function_call","status":"completed","arguments":"{}","call_id":"call_2","name":"get_time"}
            ]
            """);
        response["usage"].ShouldEqualJson("""{"input_tokens":82,"input_tokens_details":{"cached_tokens":64},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":122}""");
    }

    [Fact]
    public void ResponsesToChat_TextAndToolCalls()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIResponses, WireFormat.OpenAIChat, "alias");

        var result = StreamAccumulators.Chat(StreamAccumulators.Translate(translator, StreamTranscripts.ResponsesToolStream));

        result.Id.ShouldBe("chatcmpl-68a1");
        result.Text.ShouldBe("Sure, checking.");
        result.ToolCalls.ShouldBe([("call_Zz9", "get_weather", """{"location":"Rome"}""")]);
        result.FinishReason.ShouldBe("tool_calls");
        result.Usage.ShouldEqualJson("""{"prompt_tokens":50,"completion_tokens":20,"total_tokens":70,"prompt_tokens_details":{"cached_tokens":10}}""");
    }

    [Fact]
    public void AnthropicToResponses_Chained()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses, "alias");

        var response = StreamAccumulators.Responses(StreamAccumulators.Translate(translator, StreamTranscripts.AnthropicToolStream));

        Json.Str(response["id"]).ShouldBe("resp_014p7gG3wDgGV9EUtLvnow3U");
        response["output"]!.AsArray().Select(i => Json.Str(i!["type"])).ShouldBe(["message", "function_call", "function_call"]);
        Json.Str(response["output"]![0]!["content"]![0]!["text"]).ShouldBe("Okay, let's check.");
        JsonNode.Parse(Json.Str(response["output"]![1]!["arguments"]))
            .ShouldEqualJson("""{"location":"San Francisco, CA","unit":"fahrenheit"}""");
        Json.Num(response["usage"]!["input_tokens"]).ShouldBe(572);
        Json.Num(response["usage"]!["output_tokens"]).ShouldBe(89);
    }

    [Fact]
    public void ResponsesToAnthropic_Chained()
    {
        var translator = WireTranslator.CreateStreamTranslator(WireFormat.OpenAIResponses, WireFormat.AnthropicMessages, "alias");

        var result = StreamAccumulators.Anthropic(StreamAccumulators.Translate(translator, StreamTranscripts.ResponsesToolStream));

        Json.Str(result.Start["id"]).ShouldBe("msg_68a1");
        result.Blocks[0].ShouldEqualJson("""{"type":"text","text":"Sure, checking."}""");
        result.Blocks[1].ShouldEqualJson("""{"type":"tool_use","id":"call_Zz9","name":"get_weather","input":{"location":"Rome"}, "caller": {"type": "direct"}}""");
        result.StopReason.ShouldBe("tool_use");
        result.Usage.ShouldEqualJson("""{"input_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":20}""");
    }

    [Fact]
    public void MaxTokensStop_MapsAcrossFormats()
    {
        SseEvent[] upstream =
        [
            new("message_start", """{"type":"message_start","message":{"id":"msg_x","usage":{"input_tokens":5,"output_tokens":1}}}"""),
            new("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
            new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abc"}}"""),
            new("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            new("message_delta", """{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":3}}"""),
            new("message_stop", """{"type":"message_stop"}"""),
        ];

        StreamAccumulators.Chat(StreamAccumulators.Translate(
            WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "m"), upstream)).FinishReason.ShouldBe("length");
        var response = StreamAccumulators.Responses(StreamAccumulators.Translate(
            WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses, "m"), upstream));
        Json.Str(response["status"]).ShouldBe("incomplete");
        response["incomplete_details"].ShouldEqualJson("""{"reason":"max_output_tokens"}""");
    }

    [Theory]
    [InlineData(WireFormat.AnthropicMessages, WireFormat.OpenAIChat)]
    [InlineData(WireFormat.OpenAIChat, WireFormat.AnthropicMessages)]
    [InlineData(WireFormat.OpenAIChat, WireFormat.OpenAIResponses)]
    [InlineData(WireFormat.OpenAIResponses, WireFormat.OpenAIChat)]
    [InlineData(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses)]
    [InlineData(WireFormat.OpenAIResponses, WireFormat.AnthropicMessages)]
    public void TruncatedUpstream_EndsWithAnErrorEvent(WireFormat from, WireFormat to)
    {
        var upstream = from switch
        {
            WireFormat.AnthropicMessages => StreamTranscripts.AnthropicToolStream.Take(5),
            WireFormat.OpenAIChat => StreamTranscripts.ChatToolStream.Take(5),
            _ => StreamTranscripts.ResponsesToolStream.Take(5),
        };

        var output = StreamAccumulators.Translate(WireTranslator.CreateStreamTranslator(from, to, "m"), upstream);

        var last = JsonNode.Parse(output[^1].Data)!;
        switch (to)
        {
            case WireFormat.OpenAIChat:
                output[^1].Event.ShouldBeNull();
                last["error"]!["message"]!.GetValue<string>().ShouldContain("ended before");
                break;
            case WireFormat.AnthropicMessages:
                output[^1].Event.ShouldBe("error");
                last["error"]!["type"]!.GetValue<string>().ShouldBe("api_error");
                break;
            default:
                output[^1].Event.ShouldBe("error");
                last["message"]!.GetValue<string>().ShouldContain("ended before");
                break;
        }

        output.ShouldNotContain(e => e.Data == "[DONE]" || e.Event == "message_stop" || e.Event == "response.completed");
    }

    [Fact]
    public void UpstreamErrorEvent_BecomesClientError()
    {
        SseEvent[] upstream =
        [
            StreamTranscripts.AnthropicToolStream[0],
            new("error", """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"""),
        ];

        var chat = StreamAccumulators.Translate(WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "m"), upstream);
        JsonNode.Parse(chat[^1].Data)!["error"]!["message"]!.GetValue<string>().ShouldBe("Overloaded");
        chat.Count.ShouldBe(2);

        var back = StreamAccumulators.Translate(WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "m"), chat);
        back[^1].Event.ShouldBe("error");
        JsonNode.Parse(back[^1].Data)!["error"]!["message"]!.GetValue<string>().ShouldBe("Overloaded");
    }

    [Fact]
    public void ChatToAnthropic_WholeToolCallsInOneChunk()
    {
        SseEvent[] upstream =
        [
            new(null, """{"id":"chatcmpl-9","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}},{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""),
            new(null, "[DONE]"),
        ];

        var result = StreamAccumulators.Anthropic(StreamAccumulators.Translate(
            WireTranslator.CreateStreamTranslator(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, "m"), upstream));

        result.Blocks.Select(b => Json.Str(b["name"])).ShouldBe(["f", "g"]);
        result.Blocks[0]["input"].ShouldEqualJson("""{"x":1}""");
        result.StopReason.ShouldBe("tool_use");
    }

    [Fact]
    public void AnthropicToChat_SkipsThinkingBlocks()
    {
        SseEvent[] upstream =
        [
            new("message_start", """{"type":"message_start","message":{"id":"msg_t","usage":{"input_tokens":5,"output_tokens":1}}}"""),
            new("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"""),
            new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}"""),
            new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM"}}"""),
            new("content_block_stop", """{"type":"content_block_stop","index":0}"""),
            new("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_t","name":"f","input":{}}}"""),
            new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{}"}}"""),
            new("content_block_stop", """{"type":"content_block_stop","index":1}"""),
            new("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":30}}"""),
            new("message_stop", """{"type":"message_stop"}"""),
        ];

        var result = StreamAccumulators.Chat(StreamAccumulators.Translate(
            WireTranslator.CreateStreamTranslator(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, "m"), upstream));

        result.Text.ShouldBeEmpty();
        result.ToolCalls.ShouldBe([("toolu_t", "f", "{}")]);
    }
}
