using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>The exact bodies and stream framing, checked with a raw HTTP client.</summary>
public sealed class WireFormatTests
{
    private const string ChatStream = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public async Task ChatStream_IsDataOnlySseEndingWithDone()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Reply("Hello streaming world"));
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", ChatStream));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        body.ShouldEndWith("\n\ndata: [DONE]\n\n");
        var events = SseEvent.ParseAll(body);
        events.ShouldAllBe(e => e.Name == null);
        events[^1].Data.ShouldBe("[DONE]");

        var chunks = events[..^1].Select(e => e.Json).ToList();
        chunks.ShouldAllBe(c => c.GetProperty("object").GetString() == "chat.completion.chunk");
        chunks.Select(c => c.GetProperty("id").GetString()).Distinct().ShouldHaveSingleItem().ShouldStartWith("chatcmpl-");
        chunks.Count(c => c.TryGetProperty("usage", out var _)).ShouldBe(0, "no usage unless stream_options.include_usage");

        var first = chunks[0].GetProperty("choices")[0];
        first.GetProperty("delta").GetProperty("role").GetString().ShouldBe("assistant");
        first.GetProperty("delta").GetProperty("content").GetString().ShouldBe(string.Empty);
        first.GetProperty("finish_reason").ValueKind.ShouldBe(JsonValueKind.Null);

        var text = string.Concat(chunks.Skip(1).SkipLast(1).Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        text.ShouldBe("Hello streaming world");

        var last = chunks[^1].GetProperty("choices")[0];
        last.GetProperty("delta").EnumerateObject().ShouldBeEmpty();
        last.GetProperty("finish_reason").GetString().ShouldBe("stop");
    }

    [Fact]
    public async Task ChatStream_WithIncludeUsage_EndsWithAUsageChunkWithEmptyChoices()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "usage please", InputTokens = 3, OutputTokens = 2 });
        using var http = Http.Client(server);

        var (_, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions",
            """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}"""));

        var events = SseEvent.ParseAll(body);
        events[^1].Data.ShouldBe("[DONE]");
        var chunks = events[..^1].Select(e => e.Json).ToList();
        chunks.SkipLast(1).ShouldAllBe(c => c.GetProperty("usage").ValueKind == JsonValueKind.Null);
        var usageChunk = chunks[^1];
        usageChunk.GetProperty("choices").GetArrayLength().ShouldBe(0);
        var usage = usageChunk.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(3);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(2);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(5);
        chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString().ShouldBe("stop");
    }

    [Fact]
    public async Task ChatCompletion_HasTheRealFieldsInOrder()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "cut short", StopReason = ScriptedStopReason.MaxTokens });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}"""));

        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var json = JsonDocument.Parse(body);
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(
            ["id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"]);
        var choice = json.RootElement.GetProperty("choices")[0];
        choice.EnumerateObject().Select(p => p.Name).ShouldBe(["index", "message", "logprobs", "finish_reason"]);
        choice.GetProperty("finish_reason").GetString().ShouldBe("length");
        choice.GetProperty("message").EnumerateObject().Select(p => p.Name).ShouldBe(["role", "content", "refusal", "annotations"]);
        json.RootElement.GetProperty("usage").EnumerateObject().Select(p => p.Name).Take(3).ShouldBe(["prompt_tokens", "completion_tokens", "total_tokens"]);
    }

    [Fact]
    public async Task ResponsesStream_NamesEachEventByItsTypeWithConsecutiveSequenceNumbers()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Two words", ToolCalls = [new ScriptedToolCall("call_9", "ls", """{"dir":"."}""")] });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/responses", """{"model":"gpt-4o","stream":true,"input":"Hi"}"""));

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = SseEvent.ParseAll(body);
        events.ShouldAllBe(e => e.Name == e.Json.GetProperty("type").GetString());
        events.Select(e => e.Json.GetProperty("sequence_number").GetInt32()).ShouldBe(Enumerable.Range(0, events.Count));
        events.Select(e => e.Name).ShouldBe(
        [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ]);
        events[0].Json.GetProperty("response").GetProperty("status").GetString().ShouldBe("in_progress");
        var completed = events[^1].Json.GetProperty("response");
        completed.GetProperty("status").GetString().ShouldBe("completed");
        completed.GetProperty("output").GetArrayLength().ShouldBe(2);
        completed.GetProperty("output")[1].GetProperty("call_id").GetString().ShouldBe("call_9");
        events[10].Json.GetProperty("output_index").GetInt32().ShouldBe(1);
        body.ShouldNotContain("[DONE]");
    }

    [Fact]
    public async Task AnthropicStream_FollowsTheMessagesEventOrder()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Hi there", ToolCalls = [new ScriptedToolCall("toolu_1", "ls", """{"dir":"."}""")] });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Anthropic(
            """{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"Hi"}]}"""));

        response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var events = SseEvent.ParseAll(body);
        events.ShouldAllBe(e => e.Name == e.Json.GetProperty("type").GetString());
        events.Select(e => e.Name).ShouldBe(
        [
            "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ]);
        var start = events[0].Json.GetProperty("message");
        start.GetProperty("content").GetArrayLength().ShouldBe(0);
        start.GetProperty("stop_reason").ValueKind.ShouldBe(JsonValueKind.Null);
        events[1].Json.GetProperty("content_block").GetProperty("type").GetString().ShouldBe("text");
        events[3].Json.GetProperty("delta").GetProperty("type").GetString().ShouldBe("text_delta");
        events[6].Json.GetProperty("index").GetInt32().ShouldBe(1);
        events[6].Json.GetProperty("content_block").GetProperty("input").EnumerateObject().ShouldBeEmpty();
        events[7].Json.GetProperty("delta").GetProperty("type").GetString().ShouldBe("input_json_delta");
        events[7].Json.GetProperty("delta").GetProperty("partial_json").GetString().ShouldBe("""{"dir":"."}""");
        events[9].Json.GetProperty("delta").GetProperty("stop_reason").GetString().ShouldBe("tool_use");
        events[9].Json.GetProperty("usage").GetProperty("output_tokens").GetInt32().ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData("""{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"Hi"}]}""", "max_tokens: Field required")]
    [InlineData("""{"model":"claude-sonnet-4-5","max_tokens":10}""", "messages: Field required")]
    [InlineData("""{"max_tokens":10,"messages":[]}""", "model: Field required")]
    public async Task Anthropic_RejectsIncompleteBodiesLikeTheApi(string json, string message)
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Reply("never used"));
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Anthropic(json));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var error = JsonDocument.Parse(body);
        error.RootElement.GetProperty("type").GetString().ShouldBe("error");
        error.RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");
        error.RootElement.GetProperty("error").GetProperty("message").GetString().ShouldBe(message);
        server.PendingTurns.ShouldBe(1, "a rejected request does not use up a turn");
    }

    [Fact]
    public async Task Anthropic_RequiresTheVersionHeader()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Post("/v1/messages",
            """{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"Hi"}]}""", ("x-api-key", "k")));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        body.ShouldContain("anthropic-version: header is required");
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}]}""", "you must provide a model parameter", null)]
    [InlineData("""{"model":"gpt-4o"}""", "Missing required parameter: 'messages'.", "messages")]
    [InlineData("""{"model": nope""", "We could not parse the JSON body of your request.", null)]
    public async Task OpenAI_RejectsBadBodiesLikeTheApi(string json, string message, string? param)
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", json));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        using var error = JsonDocument.Parse(body);
        var e = error.RootElement.GetProperty("error");
        e.EnumerateObject().Select(p => p.Name).ShouldBe(["message", "type", "param", "code"]);
        e.GetProperty("message").GetString().ShouldStartWith(message);
        e.GetProperty("type").GetString().ShouldBe("invalid_request_error");
        (e.GetProperty("param").ValueKind == JsonValueKind.Null ? null : e.GetProperty("param").GetString()).ShouldBe(param);
    }

    [Fact]
    public async Task OpenAI_WithoutAKey_GetsTheMissingKeyError()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = "sk-x" });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Post("/v1/chat/completions", """{"model":"gpt-4o","messages":[]}"""));

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        body.ShouldContain("You didn't provide an API key.");
        response.Headers.GetValues("x-request-id").ShouldHaveSingleItem().ShouldStartWith("req_");
    }

    [Fact]
    public async Task Azure_ChatCompletions_UseTheDeploymentAndApiKeyHeader()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = "azure-key" });
        server.Enqueue(ScriptedTurn.Reply("from azure"));
        using var http = Http.Client(server);
        const string Body = """{"messages":[{"role":"user","content":"Hi"}]}""";

        var (ok, okBody) = await Http.SendAsync(http, Http.Post("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21", Body, ("api-key", "azure-key")));
        var (denied, deniedBody) = await Http.SendAsync(http, Http.Post("/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21", Body, ("api-key", "nope")));
        var (noVersion, _) = await Http.SendAsync(http, Http.Post("/openai/deployments/my-gpt4o/chat/completions", Body, ("api-key", "azure-key")));

        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        using (var json = JsonDocument.Parse(okBody))
        {
            json.RootElement.GetProperty("object").GetString().ShouldBe("chat.completion");
            json.RootElement.GetProperty("model").GetString().ShouldBe("my-gpt4o");
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("from azure");
        }

        denied.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using (var json = JsonDocument.Parse(deniedBody))
        {
            json.RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("401");
            json.RootElement.GetProperty("error").GetProperty("message").GetString().ShouldStartWith("Access denied");
        }

        noVersion.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var requests = server.Requests;
        requests.ShouldAllBe(r => r.Format == WireFormat.AzureOpenAIChatCompletions && r.Model == "my-gpt4o");
        requests[0].Query.ShouldBe("?api-version=2024-10-21");
    }

    [Fact]
    public async Task Azure_StreamsChatAndServesEmbeddings()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Reply("azure stream"));
        using var http = Http.Client(server);

        var (_, stream) = await Http.SendAsync(http, Http.Post("/openai/deployments/chat-dep/chat/completions?api-version=2024-10-21",
            """{"stream":true,"messages":[{"role":"user","content":"Hi"}]}""", ("api-key", "k")));
        var (_, embeddings) = await Http.SendAsync(http, Http.Post("/openai/deployments/embed-dep/embeddings?api-version=2024-10-21",
            """{"input":"text","dimensions":16}""", ("api-key", "k")));

        var events = SseEvent.ParseAll(stream);
        events[^1].Data.ShouldBe("[DONE]");
        events[0].Json.GetProperty("model").GetString().ShouldBe("chat-dep");
        using var json = JsonDocument.Parse(embeddings);
        json.RootElement.GetProperty("model").GetString().ShouldBe("embed-dep");
        json.RootElement.GetProperty("data")[0].GetProperty("embedding").GetArrayLength().ShouldBe(16);
        server.Requests.Select(r => r.Format).ShouldBe([WireFormat.AzureOpenAIChatCompletions, WireFormat.AzureOpenAIEmbeddings]);
    }

    [Fact]
    public async Task Models_ListsTheConfiguredIdsInEitherProvidersShape()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { Models = ["gpt-4o", "claude-haiku-4-5"] });
        using var http = Http.Client(server);

        var openai = await http.GetStringAsync("/v1/models");
        using var anthropicRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        anthropicRequest.Headers.Add("anthropic-version", "2023-06-01");
        var (_, anthropic) = await Http.SendAsync(http, anthropicRequest);

        using (var json = JsonDocument.Parse(openai))
        {
            json.RootElement.GetProperty("object").GetString().ShouldBe("list");
            json.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ShouldBe(["gpt-4o", "claude-haiku-4-5"]);
            json.RootElement.GetProperty("data")[0].GetProperty("object").GetString().ShouldBe("model");
        }

        using (var json = JsonDocument.Parse(anthropic))
        {
            json.RootElement.GetProperty("data")[1].GetProperty("type").GetString().ShouldBe("model");
            json.RootElement.GetProperty("has_more").GetBoolean().ShouldBeFalse();
            json.RootElement.GetProperty("last_id").GetString().ShouldBe("claude-haiku-4-5");
        }
    }

    [Fact]
    public async Task Embeddings_Base64AndFloatEncodingsCarryTheSameVector()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (_, floats) = await Http.SendAsync(http, Http.OpenAI("/v1/embeddings", """{"model":"text-embedding-3-small","input":["alpha","beta"],"dimensions":8}"""));
        var (_, base64) = await Http.SendAsync(http, Http.OpenAI("/v1/embeddings", """{"model":"text-embedding-3-small","input":"alpha","dimensions":8,"encoding_format":"base64"}"""));
        var (_, tokens) = await Http.SendAsync(http, Http.OpenAI("/v1/embeddings", """{"model":"text-embedding-3-large","input":[1,2,3]}"""));

        using var f = JsonDocument.Parse(floats);
        f.RootElement.GetProperty("object").GetString().ShouldBe("list");
        var data = f.RootElement.GetProperty("data");
        data.GetArrayLength().ShouldBe(2);
        data[1].GetProperty("index").GetInt32().ShouldBe(1);
        var alpha = data[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        alpha.Length.ShouldBe(8);

        using var b = JsonDocument.Parse(base64);
        var bytes = Convert.FromBase64String(b.RootElement.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        MemoryMarshal.Cast<byte, float>(bytes).ToArray().ShouldBe(alpha);

        using var t = JsonDocument.Parse(tokens);
        t.RootElement.GetProperty("data")[0].GetProperty("embedding").GetArrayLength().ShouldBe(3072);
    }

    [Fact]
    public async Task UnknownPaths_GetAnOpenAIStyle404()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/completions", "{}"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        body.ShouldContain("Invalid URL (POST /v1/completions)");
    }

    [Fact]
    public async Task Text_IsEscapedAsJsonButNotAsHtml()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Reply("a < b & \"c\" → ünïcødé\nline 2"));
        using var http = Http.Client(server);

        var (_, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", """{"model":"gpt-4o","messages":[]}"""));

        body.ShouldContain("a < b & \\\"c\\\" → ünïcødé\\nline 2");
        Encoding.UTF8.GetByteCount(body).ShouldBeGreaterThan(body.Length);
    }
}
