namespace Warden.Models.Tests;

/// <summary>Upstream streams shaped like the providers' real ones.</summary>
internal static class StreamTranscripts
{
    /// <summary>Anthropic: text, then two tool calls whose input arrives in many pieces.</summary>
    public static readonly SseEvent[] AnthropicToolStream =
    [
        new("message_start", """{"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5","stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":100,"output_tokens":2},"content":[],"stop_reason":null}}"""),
        new("content_block_start", """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"""),
        new("ping", """{"type": "ping"}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let"}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"'s check."}}"""),
        new("content_block_stop", """{"type":"content_block_stop","index":0}"""),
        new("content_block_start", """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Fra"}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\", "}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"unit\": \"fahrenheit\"}"}}"""),
        new("content_block_stop", """{"type":"content_block_stop","index":1}"""),
        new("content_block_start", """{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"tz\""}}"""),
        new("content_block_delta", """{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":":\"PST\"}"}}"""),
        new("content_block_stop", """{"type":"content_block_stop","index":2}"""),
        new("message_delta", """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"""),
        new("message_stop", """{"type":"message_stop"}"""),
    ];

    /// <summary>OpenAI Chat: role, text, two tool calls with split arguments, finish, usage chunk, [DONE].</summary>
    public static readonly SseEvent[] ChatToolStream =
    [
        Chunk("""{"role":"assistant","content":"","refusal":null}""", null),
        Chunk("""{"content":"Let me "}""", null),
        Chunk("""{"content":"look."}""", null),
        Chunk("""{"tool_calls":[{"index":0,"id":"call_DdmO9pD3xa9XTPNJ32zg2hcA","type":"function","function":{"name":"get_weather","arguments":""}}]}""", null),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\""}}]}""", null),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"location"}}]}""", null),
        Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\":\"Paris\"}"}}]}""", null),
        Chunk("""{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"get_time","arguments":""}}]}""", null),
        Chunk("""{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}""", null),
        Chunk("{}", "tool_calls"),
        new(null, """{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[],"usage":{"prompt_tokens":82,"completion_tokens":40,"total_tokens":122,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}"""),
        new(null, "[DONE]"),
    ];

    /// <summary>OpenAI Responses: text then one function call, completed with usage.</summary>
    public static readonly SseEvent[] ResponsesToolStream =
    [
        new("response.created", """{"type":"response.created","sequence_number":0,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"in_progress","model":"gpt-5","output":[],"usage":null}}"""),
        new("response.in_progress", """{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"in_progress","model":"gpt-5","output":[],"usage":null}}"""),
        new("response.output_item.added", """{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_68a1","type":"message","status":"in_progress","content":[],"role":"assistant"}}"""),
        new("response.content_part.added", """{"type":"response.content_part.added","sequence_number":3,"item_id":"msg_68a1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"""),
        new("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_68a1","output_index":0,"content_index":0,"delta":"Sure","logprobs":[]}"""),
        new("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_68a1","output_index":0,"content_index":0,"delta":", checking.","logprobs":[]}"""),
        new("response.output_text.done", """{"type":"response.output_text.done","sequence_number":6,"item_id":"msg_68a1","output_index":0,"content_index":0,"text":"Sure, checking.","logprobs":[]}"""),
        new("response.content_part.done", """{"type":"response.content_part.done","sequence_number":7,"item_id":"msg_68a1","output_index":0,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":"Sure, checking."}}"""),
        new("response.output_item.done", """{"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"id":"msg_68a1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Sure, checking."}],"role":"assistant"}}"""),
        new("response.output_item.added", """{"type":"response.output_item.added","sequence_number":9,"output_index":1,"item":{"id":"fc_68a1","type":"function_call","status":"in_progress","arguments":"","call_id":"call_Zz9","name":"get_weather"}}"""),
        new("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","sequence_number":10,"item_id":"fc_68a1","output_index":1,"delta":"{\"loc"}"""),
        new("response.function_call_arguments.delta", """{"type":"response.function_call_arguments.delta","sequence_number":11,"item_id":"fc_68a1","output_index":1,"delta":"ation\":\"Rome\"}"}"""),
        new("response.function_call_arguments.done", """{"type":"response.function_call_arguments.done","sequence_number":12,"item_id":"fc_68a1","output_index":1,"arguments":"{\"location\":\"Rome\"}"}"""),
        new("response.output_item.done", """{"type":"response.output_item.done","sequence_number":13,"output_index":1,"item":{"id":"fc_68a1","type":"function_call","status":"completed","arguments":"{\"location\":\"Rome\"}","call_id":"call_Zz9","name":"get_weather"}}"""),
        new("response.completed", """{"type":"response.completed","sequence_number":14,"response":{"id":"resp_68a1","object":"response","created_at":1755000000,"status":"completed","model":"gpt-5","output":[],"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":10},"output_tokens":20,"output_tokens_details":{"reasoning_tokens":5},"total_tokens":70}}}"""),
    ];

    private static SseEvent Chunk(string delta, string? finish) => new(
        null,
        $$"""{"id":"chatcmpl-AbC123","object":"chat.completion.chunk","created":1727000000,"model":"gpt-4o","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{{delta}},"logprobs":null,"finish_reason":{{(finish is null ? "null" : "\"" + finish + "\"")}}}],"usage":null}""");
}
