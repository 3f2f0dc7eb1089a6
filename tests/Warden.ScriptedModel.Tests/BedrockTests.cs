using System.Net;
using System.Text;
using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>AWS Bedrock runtime (Anthropic models): invoke, and invoke-with-response-stream as event-stream frames.</summary>
public sealed class BedrockTests
{
    private const string ModelId = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    private const string Body = """{"anthropic_version":"bedrock-2023-05-31","max_tokens":256,"messages":[{"role":"user","content":"Hello Bedrock"}]}""";

    [Fact]
    public async Task InvokeWithResponseStream_SendsAnthropicEventsInCheckedEventStreamFrames()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn
        {
            Text = "Streaming from Bedrock",
            ToolCalls = [new ScriptedToolCall("toolu_b1", "search", """{"q":"x"}""")],
            InputTokens = 14,
            OutputTokens = 9,
        });
        using var http = Http.Client(server);

        using var response = await http.SendAsync(Http.Bedrock(ModelId, stream: true, Body));
        var bytes = await response.Content.ReadAsByteArrayAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/vnd.amazon.eventstream");
        var frames = EventStreamDecoder.Decode(bytes);
        frames.ShouldAllBe(f => f.Headers[":event-type"] == "chunk" && f.Headers[":content-type"] == "application/json" && f.Headers[":message-type"] == "event");
        frames.ShouldAllBe(f => f.Headers.Count == 3);

        var events = frames.Select(f =>
        {
            using var payload = JsonDocument.Parse(f.Payload);
            payload.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["bytes"]);
            return JsonDocument.Parse(Convert.FromBase64String(payload.RootElement.GetProperty("bytes").GetString()!)).RootElement;
        }).ToList();

        events.Select(e => e.GetProperty("type").GetString()).ShouldBe(
        [
            "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop",
            "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ]);
        events[0].GetProperty("message").GetProperty("model").GetString().ShouldBe(ModelId);
        events[0].GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt32().ShouldBe(14);
        string.Concat(events.Where(e => e.GetProperty("type").GetString() == "content_block_delta" && e.GetProperty("index").GetInt32() == 0)
            .Select(e => e.GetProperty("delta").GetProperty("text").GetString())).ShouldBe("Streaming from Bedrock");
        events[8].GetProperty("delta").GetProperty("partial_json").GetString().ShouldBe("""{"q":"x"}""");
        var metrics = events[^1].GetProperty("amazon-bedrock-invocationMetrics");
        metrics.GetProperty("inputTokenCount").GetInt32().ShouldBe(14);
        metrics.GetProperty("outputTokenCount").GetInt32().ShouldBe(9);
        metrics.GetProperty("invocationLatency").GetInt64().ShouldBeGreaterThanOrEqualTo(metrics.GetProperty("firstByteLatency").GetInt64());

        var request = server.Requests.ShouldHaveSingleItem();
        request.Format.ShouldBe(WireFormat.BedrockInvoke);
        request.Model.ShouldBe(ModelId);
        request.Stream.ShouldBeTrue();
    }

    [Fact]
    public async Task Invoke_ReturnsTheAnthropicMessageAndTokenHeaders()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Plain Bedrock answer", InputTokens = 5, OutputTokens = 3 });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Bedrock(ModelId, stream: false, Body));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Headers.GetValues("X-Amzn-Bedrock-Input-Token-Count").ShouldHaveSingleItem().ShouldBe("5");
        response.Headers.GetValues("X-Amzn-Bedrock-Output-Token-Count").ShouldHaveSingleItem().ShouldBe("3");
        using var json = JsonDocument.Parse(body);
        json.RootElement.EnumerateObject().Select(p => p.Name).ShouldBe(["id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"]);
        json.RootElement.GetProperty("content")[0].GetProperty("text").GetString().ShouldBe("Plain Bedrock answer");
        json.RootElement.GetProperty("stop_reason").GetString().ShouldBe("end_turn");
    }

    [Fact]
    public async Task Invoke_WithoutSigV4_IsRefusedWithAMissingTokenError()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Post($"/model/{ModelId}/invoke", Body));

        response.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        response.Headers.GetValues("x-amzn-ErrorType").ShouldHaveSingleItem().ShouldStartWith("MissingAuthenticationTokenException");
        body.ShouldBe("""{"message":"Missing Authentication Token"}""");
    }

    [Theory]
    [InlineData("""{"anthropic_version":"bedrock-2023-05-31","model":"claude","max_tokens":5,"messages":[]}""", "extraneous key [model] is not permitted")]
    [InlineData("""{"anthropic_version":"bedrock-2023-05-31","stream":true,"max_tokens":5,"messages":[]}""", "extraneous key [stream] is not permitted")]
    [InlineData("""{"max_tokens":5,"messages":[]}""", "required key [anthropic_version] not found")]
    [InlineData("""{"anthropic_version":"bedrock-2023-05-31","messages":[]}""", "required key [max_tokens] not found")]
    public async Task Invoke_ValidatesTheBodyLikeBedrock(string json, string message)
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Bedrock(ModelId, stream: false, json));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Headers.GetValues("x-amzn-ErrorType").ShouldHaveSingleItem().ShouldStartWith("ValidationException:");
        body.ShouldContain(message);
    }

    [Fact]
    public async Task Throttling_UsesBedrocksErrorShape()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(429)));
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.Bedrock(ModelId, stream: true, Body));

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.GetValues("x-amzn-ErrorType").ShouldHaveSingleItem().ShouldStartWith("ThrottlingException:");
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("message").GetString().ShouldBe("Too many requests, please wait before trying again.");
    }

    [Fact]
    public async Task StreamCut_EndsTheEventStreamAfterWholeFrames()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "a b c d e f", Fault = ScriptedFault.StreamCutAfter(4) });
        using var http = Http.Client(server);

        using var response = await http.SendAsync(Http.Bedrock(ModelId, stream: true, Body), HttpCompletionOption.ResponseHeadersRead);
        var received = new MemoryStream();
        await using (var stream = await response.Content.ReadAsStreamAsync())
        {
            await Should.ThrowAsync<IOException>(() => stream.CopyToAsync(received));
        }

        var frames = EventStreamDecoder.Decode(received.ToArray());
        frames.Count.ShouldBe(4);
        Encoding.UTF8.GetString(frames[0].Payload).ShouldStartWith("{\"bytes\":\"");
    }
}
