namespace Warden.Models.Tests;

public sealed class ResponseTranslationTests
{
    private const string AnthropicMessage = """
        {
          "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
          "type": "message",
          "role": "assistant",
          "model": "claude-sonnet-4-5-20250929",
          "content": [
            {"type": "thinking", "thinking": "...", "signature": "x"},
            {"type": "text", "text": "Let me check the weather."},
            {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"location": "San Francisco, CA"}, "caller": {"type": "direct"}}
          ],
          "stop_reason": "tool_use",
          "stop_sequence": null,
          "usage": {"input_tokens": 472, "cache_creation_input_tokens": 10, "cache_read_input_tokens": 100, "output_tokens": 89}
        }
        """;

    private const string ChatCompletion = """
        {
          "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
          "object": "chat.completion",
          "created": 1741570283,
          "model": "gpt-4o-2024-08-06",
          "choices": [{
            "index": 0,
            "message": {
              "role": "assistant",
              "content": "Checking.",
              "refusal": null,
              "tool_calls": [
                {"id": "call_abc", "type": "function", "function": {"name": "get_weather", "arguments": "{\"location\":\"Boston\"}"}},
                {"id": "call_def", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
              ]
            },
            "logprobs": null,
            "finish_reason": "tool_calls"
          }],
          "usage": {"prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163, "prompt_tokens_details": {"cached_tokens": 1024}, "completion_tokens_details": {"reasoning_tokens": 7}},
          "system_fingerprint": "fp_fc9f1d7035"
        }
        """;

    [Fact]
    public void AnthropicToChat()
    {
        var result = WireTranslator.TranslateResponse(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, Json.Obj(AnthropicMessage), "my-alias");

        Json.Str(result["id"]).ShouldBe("chatcmpl-01XFDUDYJgAACzvnptvVoYEL");
        Json.Str(result["object"]).ShouldBe("chat.completion");
        Json.Str(result["model"]).ShouldBe("my-alias");
        result["created"]!.GetValue<long>().ShouldBeGreaterThan(0);
        result["choices"].ShouldEqualJson("""
            [{"index":0,"message":{"role":"assistant","content":"Let me check the weather.","refusal":null,
              "tool_calls":[{"id":"toolu_01A09q90qw90lq917835lq9","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"San Francisco, CA\"}"}}]},
              "logprobs":null,"finish_reason":"tool_calls"}]
            """);
        result["usage"].ShouldEqualJson("""
            {"prompt_tokens":582,"completion_tokens":89,"total_tokens":671,"prompt_tokens_details":{"cached_tokens":100}}
            """);
        UsageReader.FromResponse(WireFormat.OpenAIChat, result)!.Value.InputTokens
            .ShouldBe(UsageReader.FromResponse(WireFormat.AnthropicMessages, Json.Obj(AnthropicMessage))!.Value.InputTokens);
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("refusal", "content_filter")]
    public void AnthropicToChat_StopReasons(string stop, string finish)
    {
        var result = WireTranslator.TranslateResponse(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, Json.Obj($$$"""
            {"id":"msg_1","type":"message","role":"assistant","content":[{"type":"text","text":"x"}],"stop_reason":"{{{stop}}}","usage":{"input_tokens":1,"output_tokens":1}}
            """), "m");

        Json.Str(result["choices"]![0]!["finish_reason"]).ShouldBe(finish);
    }

    [Fact]
    public void ChatToAnthropic()
    {
        var result = WireTranslator.TranslateResponse(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Json.Obj(ChatCompletion), "claude-alias");

        result.ShouldEqualJson("""
            {
              "id": "msg_B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
              "type": "message",
              "role": "assistant",
              "model": "claude-alias",
              "content": [
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "call_abc", "name": "get_weather", "input": {"location": "Boston"}, "caller": {"type": "direct"}},
                {"type": "tool_use", "id": "call_def", "name": "get_time", "input": {}, "caller": {"type": "direct"}}
              ],
              "stop_reason": "tool_use",
              "stop_sequence": null,
              "usage": {"input_tokens": 93, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1024, "output_tokens": 46}
            }
            """);
        UsageReader.FromResponse(WireFormat.AnthropicMessages, result).ShouldBe(UsageReader.FromResponse(WireFormat.OpenAIChat, Json.Obj(ChatCompletion)));
    }

    [Fact]
    public void ChatToResponses()
    {
        var result = WireTranslator.TranslateResponse(WireFormat.OpenAIChat, WireFormat.OpenAIResponses, Json.Obj(ChatCompletion), "alias");

        Json.Str(result["id"]).ShouldBe("resp_B9MHDbslfkBeAs8l4bebGdFOJ6PeG");
        Json.Str(result["object"]).ShouldBe("response");
        Json.Str(result["status"]).ShouldBe("completed");
        Json.Num(result["created_at"]).ShouldBe(1741570283);
        result["output"].ShouldEqualJson("""
            [
              {"id":"msg_B9MHDbslfkBeAs8l4bebGdFOJ6PeG","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking.","annotations":[],"logprobs":[]}]},
              {"id":"fc_abc","type":"function_call","status":"completed","arguments":"{\"location\":\"Boston\"}","call_id":"call_abc","name":"get_weather"},
              {"id":"fc_def","type":"function_call","status":"completed","arguments":"{}","call_id":"call_def","name":"get_time"}
            ]
            """);
        result["usage"].ShouldEqualJson("""
            {"input_tokens":1117,"input_tokens_details":{"cached_tokens":1024},"output_tokens":46,"output_tokens_details":{"reasoning_tokens":7},"total_tokens":1163}
            """);
    }

    [Fact]
    public void ChatToResponses_LengthIsIncomplete()
    {
        var result = WireTranslator.TranslateResponse(WireFormat.OpenAIChat, WireFormat.OpenAIResponses, Json.Obj("""
            {"id":"chatcmpl-1","object":"chat.completion","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"Trunc"},"finish_reason":"length"}]}
            """), "m");

        Json.Str(result["status"]).ShouldBe("incomplete");
        result["incomplete_details"].ShouldEqualJson("""{"reason":"max_output_tokens"}""");
        result["usage"].ShouldBeNull();
    }

    [Fact]
    public void ResponsesToChat()
    {
        var result = WireTranslator.TranslateResponse(WireFormat.OpenAIResponses, WireFormat.OpenAIChat, Json.Obj("""
            {
              "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
              "object": "response",
              "created_at": 1741476542,
              "status": "completed",
              "model": "gpt-4.1-2025-04-14",
              "output": [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": "In a peaceful grove...", "annotations": []}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{\"x\":1}", "status": "completed"}
              ],
              "usage": {"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0}, "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 123}
            }
            """), "alias");

        Json.Str(result["id"]).ShouldBe("chatcmpl-67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b");
        Json.Num(result["created"]).ShouldBe(1741476542);
        result["choices"].ShouldEqualJson("""
            [{"index":0,"message":{"role":"assistant","content":"In a peaceful grove...","refusal":null,
              "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]},
              "logprobs":null,"finish_reason":"tool_calls"}]
            """);
        result["usage"].ShouldEqualJson("""
            {"prompt_tokens":36,"completion_tokens":87,"total_tokens":123,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}
            """);
    }

    [Fact]
    public void AnthropicToResponses_AndBack()
    {
        var responses = WireTranslator.TranslateResponse(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses, Json.Obj(AnthropicMessage), "alias");

        Json.Str(responses["id"]).ShouldBe("resp_01XFDUDYJgAACzvnptvVoYEL");
        responses["output"]!.AsArray().Select(i => Json.Str(i!["type"])).ShouldBe(["message", "function_call"]);
        Json.Str(responses["output"]![1]!["call_id"]).ShouldBe("toolu_01A09q90qw90lq917835lq9");
        Json.Num(responses["usage"]!["input_tokens"]).ShouldBe(582);

        var anthropic = WireTranslator.TranslateResponse(WireFormat.OpenAIResponses, WireFormat.AnthropicMessages, responses, "alias");
        Json.Str(anthropic["id"]).ShouldBe("msg_01XFDUDYJgAACzvnptvVoYEL");
        Json.Str(anthropic["stop_reason"]).ShouldBe("tool_use");
        anthropic["content"]![1].ShouldEqualJson("""{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA"}, "caller": {"type": "direct"}}""");
    }
}
