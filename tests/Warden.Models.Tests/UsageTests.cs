namespace Warden.Models.Tests;

public sealed class UsageTests
{
    [Fact]
    public void FromResponse_OpenAIChat()
    {
        var body = Json.Obj("""
            {"id":"chatcmpl-1","object":"chat.completion","choices":[],
             "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":10}}}
            """);

        UsageReader.FromResponse(WireFormat.OpenAIChat, body).ShouldBe(new TokenUsage(120, 30, 100));
    }

    [Fact]
    public void FromResponse_Anthropic_SumsCachePartsIntoInput()
    {
        var body = Json.Obj("""
            {"id":"msg_1","type":"message","content":[],"usage":{"input_tokens":20,"cache_creation_input_tokens":300,"cache_read_input_tokens":1000,"output_tokens":50}}
            """);

        var usage = UsageReader.FromResponse(WireFormat.AnthropicMessages, body);

        usage.ShouldBe(new TokenUsage(1320, 50, 1000, 300));
        usage!.Value.Total.ShouldBe(1370);
    }

    [Fact]
    public void FromResponse_ResponsesAndEmbeddings()
    {
        UsageReader.FromResponse(WireFormat.OpenAIResponses, Json.Obj("""
            {"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":4},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123}}
            """)).ShouldBe(new TokenUsage(36, 87, 4));

        UsageReader.FromResponse(WireFormat.OpenAIEmbeddings, Json.Obj("""
            {"object":"list","data":[],"usage":{"prompt_tokens":8,"total_tokens":8}}
            """)).ShouldBe(new TokenUsage(8, 0));
    }

    [Fact]
    public void FromResponse_NullWithoutUsage()
    {
        UsageReader.FromResponse(WireFormat.OpenAIChat, Json.Obj("""{"choices":[]}""")).ShouldBeNull();
        UsageReader.FromResponse(WireFormat.OpenAIChat, Json.Obj("""{"usage":null}""")).ShouldBeNull();
    }

    [Fact]
    public void Meter_OpenAIChatStream()
    {
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        string[] chunks =
        [
            """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}""",
            """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}""",
            """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]},"finish_reason":null}]}""",
            """{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}""",
            """{"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":2}}}""",
            "[DONE]",
        ];

        foreach (var chunk in chunks)
        {
            meter.Observe(new SseEvent(null, chunk));
        }

        meter.Usage.ShouldBe(new TokenUsage(9, 12, 2));
        meter.FinishReason.ShouldBe("tool_calls");
        meter.OutputChunks.ShouldBe(2);
    }

    [Fact]
    public void Meter_OpenAIChatWithoutUsageChunk()
    {
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        meter.Observe(new SseEvent(null, """{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}"""));

        meter.Usage.ShouldBeNull();
        meter.FinishReason.ShouldBe("stop");
    }

    [Fact]
    public void Meter_AnthropicStream_MessageDeltaUpdatesStartUsage()
    {
        var meter = new StreamUsageMeter(WireFormat.AnthropicMessages);
        meter.Observe(new("message_start", """{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude","stop_reason":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":1}}}"""));
        meter.Observe(new("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""));
        meter.Observe(new("ping", """{"type":"ping"}"""));
        meter.Observe(new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"""));
        meter.Observe(new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}"""));
        meter.Observe(new("message_delta", """{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"""));
        meter.Observe(new("message_stop", """{"type":"message_stop"}"""));

        meter.Usage.ShouldBe(new TokenUsage(130, 15, 100, 5));
        meter.FinishReason.ShouldBe("end_turn");
        meter.OutputChunks.ShouldBe(2);
    }

    [Fact]
    public void Meter_AnthropicStreamWithoutEventNames()
    {
        var meter = new StreamUsageMeter(WireFormat.AnthropicMessages);
        meter.Observe(new(null, """{"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}"""));
        meter.Observe(new(null, """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"usage"}}"""));
        meter.Observe(new(null, """{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"input_tokens":3,"output_tokens":7}}"""));

        meter.Usage.ShouldBe(new TokenUsage(3, 7));
        meter.FinishReason.ShouldBe("max_tokens");
        meter.OutputChunks.ShouldBe(1);
    }

    [Fact]
    public void Meter_ResponsesStream()
    {
        var meter = new StreamUsageMeter(WireFormat.OpenAIResponses);
        meter.Observe(new("response.created", """{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","usage":null}}"""));
        meter.Observe(new("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}"""));
        meter.Observe(new("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","sequence_number":2,"item_id":"fc_1","output_index":1,"delta":"{}"}"""));
        meter.Observe(new("response.incomplete", """{"type":"response.incomplete","sequence_number":3,"response":{"id":"resp_1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[{"type":"message","content":[{"type":"output_text","text":"x","usage":{"input_tokens":999}}]}],"usage":{"input_tokens":10,"input_tokens_details":{"cached_tokens":0},"output_tokens":16,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":26}}}"""));

        meter.Usage.ShouldBe(new TokenUsage(10, 16));
        meter.FinishReason.ShouldBe("max_output_tokens");
        meter.OutputChunks.ShouldBe(2);
    }

    [Fact]
    public void Meter_IgnoresMalformedEvents()
    {
        var meter = new StreamUsageMeter(WireFormat.OpenAIChat);
        meter.Observe(new(null, "{\"usage\": {\"prompt_tokens\": "));
        meter.Observe(new(null, ""));

        meter.Usage.ShouldBeNull();
    }
}
