using System.Text.Json.Nodes;

namespace Warden.Models.Tests;

public sealed class RequestTranslationTests
{
    private const string ChatWithTools = """
        {
          "model": "claude-sonnet",
          "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": [
              {"type": "text", "text": "What is in this image and the weather?"},
              {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"}},
              {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
              {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
              {"id": "call_2", "type": "function", "function": {"name": "get_time", "arguments": ""}}
            ]},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
            {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "12:00"}]},
            {"role": "user", "content": "Thanks"}
          ],
          "max_completion_tokens": 500,
          "temperature": 1.5,
          "top_p": 0.9,
          "stop": "END",
          "stream": true,
          "stream_options": {"include_usage": true},
          "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
          "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
          "parallel_tool_calls": false,
          "user": "u-42"
        }
        """;

    [Fact]
    public void SameFormat_ReturnsSameInstance()
    {
        var body = Json.Obj("""{"model":"m","messages":[]}""");
        foreach (var format in Enum.GetValues<WireFormat>())
        {
            WireTranslator.TranslateRequest(format, format, body).ShouldBeSameAs(body);
            WireTranslator.TranslateResponse(format, format, body, "x").ShouldBeSameAs(body);
        }
    }

    [Fact]
    public void ChatToAnthropic_FullConversation()
    {
        var chat = Json.Obj(ChatWithTools);
        var before = chat.ToJsonString();

        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, chat);

        chat.ToJsonString().ShouldBe(before, "the input is not changed");
        result.ShouldEqualJson("""
            {
              "model": "claude-sonnet",
              "system": [{"type": "text", "text": "You are terse."}, {"type": "text", "text": "Use tools."}],
              "messages": [
                {"role": "user", "content": [
                  {"type": "text", "text": "What is in this image and the weather?"},
                  {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
                  {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
                ]},
                {"role": "assistant", "content": [
                  {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                  {"type": "tool_use", "id": "call_2", "name": "get_time", "input": {}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                  {"type": "tool_result", "tool_use_id": "call_2", "content": [{"type": "text", "text": "12:00"}]},
                  {"type": "text", "text": "Thanks"}
                ]}
              ],
              "max_tokens": 500,
              "temperature": 1.0,
              "top_p": 0.9,
              "stop_sequences": ["END"],
              "stream": true,
              "tools": [{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}],
              "tool_choice": {"type": "tool", "name": "get_weather", "disable_parallel_tool_use": true},
              "metadata": {"user_id": "u-42"}
            }
            """);
    }

    [Fact]
    public void ChatToAnthropic_DefaultsMaxTokensAndKeepsPlainStrings()
    {
        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Json.Obj("""
            {"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}],"max_tokens":null}
            """));

        result.ShouldEqualJson("""
            {"model":"m","system":"S","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"Bye"}],"max_tokens":4096}
            """);
    }

    [Fact]
    public void ChatToAnthropic_MergesConsecutiveSameRoleMessages()
    {
        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Json.Obj("""
            {"model":"m","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":""},{"role":"user","content":"c"}]}
            """));

        result["messages"].ShouldEqualJson("""
            [{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"},{"type":"text","text":"c"}]}]
            """);
    }

    [Theory]
    [InlineData("\"auto\"", """{"type":"auto"}""")]
    [InlineData("\"none\"", """{"type":"none"}""")]
    [InlineData("\"required\"", """{"type":"any"}""")]
    public void ChatToAnthropic_ToolChoice(string choice, string expected)
    {
        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Json.Obj($$$"""
            {"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{{{choice}}}}
            """));

        result["tool_choice"].ShouldEqualJson(expected);
        result["tools"]![0]!["input_schema"].ShouldEqualJson("""{"type":"object","properties":{}}""");
    }

    [Theory]
    [InlineData("""{"model":"m","n":2,"messages":[]}""", "n")]
    [InlineData("""{"model":"m","response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}},"messages":[]}""", "response_format")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}""", "messages[0].content[0]")]
    [InlineData("""{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"not json"}}]}]}""", "messages[0].tool_calls[0].function.arguments")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search"}]}""", "tools[0]")]
    [InlineData("""{"model":"m"}""", "messages")]
    public void ChatToAnthropic_RejectsUnsupportedFeatures(string json, string param)
    {
        var error = Should.Throw<ModelRequestException>(() =>
            WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, Json.Obj(json)));

        error.Kind.ShouldBe(ModelErrorKind.InvalidRequest);
        error.Param.ShouldBe(param);
    }

    [Fact]
    public void AnthropicToChat_FullConversation()
    {
        var anthropic = Json.Obj("""
            {
              "model": "gpt-4o",
              "max_tokens": 1024,
              "system": [{"type": "text", "text": "Be kind.", "cache_control": {"type": "ephemeral"}}, {"type": "text", "text": "Be brief."}],
              "messages": [
                {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQ"}}]},
                {"role": "assistant", "content": [
                  {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                  {"type": "text", "text": "Checking."},
                  {"type": "tool_use", "id": "toolu_01", "name": "lookup", "input": {"q": "cats"}}
                ]},
                {"role": "user", "content": [
                  {"type": "tool_result", "tool_use_id": "toolu_01", "content": [{"type": "text", "text": "found"}, {"type": "image", "source": {"type": "url", "url": "https://x/y.png"}}]},
                  {"type": "text", "text": "And?"}
                ]},
                {"role": "assistant", "content": "Done."},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_02", "content": "boom", "is_error": true}]}
              ],
              "temperature": 0.2,
              "top_k": 5,
              "stop_sequences": ["\n\nHuman:"],
              "stream": true,
              "tools": [{"name": "lookup", "description": "Search", "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}}],
              "tool_choice": {"type": "any", "disable_parallel_tool_use": true},
              "metadata": {"user_id": "u-1"}
            }
            """);

        var result = WireTranslator.TranslateRequest(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, anthropic);

        result.ShouldEqualJson("""
            {
              "model": "gpt-4o",
              "messages": [
                {"role": "system", "content": "Be kind.\n\nBe brief."},
                {"role": "user", "content": [{"type": "text", "text": "Look"}, {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQ"}}]},
                {"role": "assistant", "content": "Checking.", "tool_calls": [{"id": "toolu_01", "type": "function", "function": {"name": "lookup", "arguments": "{\"q\":\"cats\"}"}}]},
                {"role": "tool", "tool_call_id": "toolu_01", "content": "found"},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}, {"type": "text", "text": "And?"}]},
                {"role": "assistant", "content": "Done."},
                {"role": "tool", "tool_call_id": "toolu_02", "content": "Error: boom"}
              ],
              "max_completion_tokens": 1024,
              "temperature": 0.2,
              "stop": ["\n\nHuman:"],
              "stream": true,
              "stream_options": {"include_usage": true},
              "tools": [{"type": "function", "function": {"name": "lookup", "description": "Search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}}],
              "tool_choice": "required",
              "parallel_tool_calls": false,
              "user": "u-1"
            }
            """);
    }

    [Fact]
    public void AnthropicToChat_RejectsServerTools()
    {
        var error = Should.Throw<ModelRequestException>(() => WireTranslator.TranslateRequest(
            WireFormat.AnthropicMessages,
            WireFormat.OpenAIChat,
            Json.Obj("""{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""")));

        error.Param.ShouldBe("tools.0");
    }

    [Fact]
    public void ResponsesToChat_ItemsInstructionsAndTools()
    {
        var responses = Json.Obj("""
            {
              "model": "gpt-4.1",
              "instructions": "Be helpful.",
              "input": [
                {"role": "user", "content": [{"type": "input_text", "text": "Weather?"}, {"type": "input_image", "image_url": "https://x/a.png", "detail": "low"}]},
                {"type": "reasoning", "id": "rs_1", "summary": []},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Let me check."}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "weather", "arguments": "{\"c\":\"Oslo\"}"},
                {"type": "function_call", "id": "fc_2", "call_id": "call_2", "name": "time", "arguments": "{}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "-3C"},
                {"type": "function_call_output", "call_id": "call_2", "output": "09:00"},
                {"role": "user", "content": "thanks"}
              ],
              "max_output_tokens": 300,
              "temperature": 0.5,
              "stream": true,
              "tools": [{"type": "function", "name": "weather", "description": "W", "parameters": {"type": "object"}, "strict": true}],
              "tool_choice": {"type": "function", "name": "weather"},
              "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true}},
              "reasoning": {"effort": "low"},
              "store": true
            }
            """);

        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIResponses, WireFormat.OpenAIChat, responses);

        result.ShouldEqualJson("""
            {
              "model": "gpt-4.1",
              "messages": [
                {"role": "system", "content": "Be helpful."},
                {"role": "user", "content": [{"type": "text", "text": "Weather?"}, {"type": "image_url", "image_url": {"url": "https://x/a.png", "detail": "low"}}]},
                {"role": "assistant", "content": "Let me check.", "tool_calls": [
                  {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": "{\"c\":\"Oslo\"}"}},
                  {"id": "call_2", "type": "function", "function": {"name": "time", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "call_1", "content": "-3C"},
                {"role": "tool", "tool_call_id": "call_2", "content": "09:00"},
                {"role": "user", "content": "thanks"}
              ],
              "max_completion_tokens": 300,
              "temperature": 0.5,
              "reasoning_effort": "low",
              "stream": true,
              "stream_options": {"include_usage": true},
              "tools": [{"type": "function", "function": {"name": "weather", "description": "W", "parameters": {"type": "object"}, "strict": true}}],
              "tool_choice": {"type": "function", "function": {"name": "weather"}},
              "response_format": {"type": "json_schema", "json_schema": {"name": "out", "schema": {"type": "object"}, "strict": true}}
            }
            """);
    }

    [Fact]
    public void ResponsesToChat_StringInputAndRejections()
    {
        WireTranslator.TranslateRequest(WireFormat.OpenAIResponses, WireFormat.OpenAIChat, Json.Obj("""{"model":"m","input":"Hi"}"""))
            .ShouldEqualJson("""{"model":"m","messages":[{"role":"user","content":"Hi"}]}""");

        Should.Throw<ModelRequestException>(() => WireTranslator.TranslateRequest(
            WireFormat.OpenAIResponses, WireFormat.OpenAIChat, Json.Obj("""{"model":"m","input":"Hi","previous_response_id":"resp_1"}""")))
            .Param.ShouldBe("previous_response_id");
        Should.Throw<ModelRequestException>(() => WireTranslator.TranslateRequest(
            WireFormat.OpenAIResponses, WireFormat.OpenAIChat, Json.Obj("""{"model":"m","input":"Hi","tools":[{"type":"web_search_preview"}]}""")))
            .Param.ShouldBe("tools[0]");
    }

    [Fact]
    public void ChatToResponses_MessagesBecomeItems()
    {
        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIChat, WireFormat.OpenAIResponses, Json.Obj("""
            {"model":"gpt-5","messages":[
              {"role":"developer","content":"Rules"},
              {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url","image_url":{"url":"https://i/x.png"}}]},
              {"role":"assistant","content":"Calling","tool_calls":[{"id":"call_9","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
              {"role":"tool","tool_call_id":"call_9","content":"ok"}
            ],"max_tokens":50,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto","response_format":{"type":"json_object"},"stream":true}
            """));

        result.ShouldEqualJson("""
            {"model":"gpt-5","input":[
              {"type":"message","role":"developer","content":"Rules"},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"},{"type":"input_image","image_url":"https://i/x.png","detail":"auto"}]},
              {"type":"message","role":"assistant","content":[{"type":"output_text","text":"Calling"}]},
              {"type":"function_call","call_id":"call_9","name":"f","arguments":"{\"a\":1}"},
              {"type":"function_call_output","call_id":"call_9","output":"ok"}
            ],"max_output_tokens":50,"stream":true,"store":false,
            "tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"auto","text":{"format":{"type":"json_object"}}}
            """);
    }

    [Fact]
    public void ResponsesToAnthropic_ChainsThroughChat()
    {
        var result = WireTranslator.TranslateRequest(WireFormat.OpenAIResponses, WireFormat.AnthropicMessages, Json.Obj("""
            {"model":"claude","instructions":"Sys","input":[{"role":"user","content":"Hi"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"r"}],"max_output_tokens":64}
            """));

        result.ShouldEqualJson("""
            {"model":"claude","system":"Sys","messages":[
              {"role":"user","content":"Hi"},
              {"role":"assistant","content":[{"type":"tool_use","id":"c1","name":"f","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"c1","content":"r"}]}
            ],"max_tokens":64}
            """);
    }

    [Fact]
    public void AnthropicToResponses_ChainsThroughChat()
    {
        var result = WireTranslator.TranslateRequest(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses, Json.Obj("""
            {"model":"gpt","max_tokens":10,"system":"S","messages":[{"role":"user","content":"Hi"}]}
            """));

        result.ShouldEqualJson("""
            {"model":"gpt","input":[{"type":"message","role":"system","content":"S"},{"type":"message","role":"user","content":"Hi"}],"max_output_tokens":10,"store":false}
            """);
    }

    [Theory]
    [InlineData(WireFormat.OpenAIEmbeddings, WireFormat.AnthropicMessages)]
    [InlineData(WireFormat.OpenAIChat, WireFormat.OpenAIEmbeddings)]
    public void UnsupportedPairs_Throw(WireFormat from, WireFormat to)
    {
        Should.Throw<ModelRequestException>(() => WireTranslator.TranslateRequest(from, to, new JsonObject()));
        Should.Throw<ModelRequestException>(() => WireTranslator.TranslateResponse(from, to, new JsonObject(), "m"));
        Should.Throw<ModelRequestException>(() => WireTranslator.CreateStreamTranslator(from, to, "m"));
    }
}
