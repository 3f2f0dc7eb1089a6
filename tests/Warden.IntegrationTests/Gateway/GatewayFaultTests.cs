using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Warden.IntegrationTests.AuditIngest;
using Warden.ScriptedModel;

namespace Warden.IntegrationTests.Gateway;

/// <summary>
/// Upstreams that fail, hang, reset or send garbage; clients that send nonsense or leave mid-stream. The gateway
/// falls back where it can, answers in the caller's own error format where it cannot, and never goes down.
/// </summary>
public sealed class GatewayFaultTests
{
    private static HttpClient Http(GatewayFixture f, string key)
    {
        var http = new HttpClient { BaseAddress = f.Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static StringContent Chat(string model, bool stream = false) =>
        new($$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

    private static StringContent Messages(string model) =>
        new($$"""{"model":"{{model}}","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");

    public static TheoryData<string> Faults => new() { "500", "429", "hang", "reset", "garbage" };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task AFailingTarget_FallsBackToTheNext_AndTheCallerSeesOnlyTheAnswer(string fault)
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:primary"], fallbacks: ["claude:backup"], timeoutMs: 1_000);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn
        {
            Fault = fault switch
            {
                "500" => ScriptedFault.Status(500),
                "429" => ScriptedFault.Status(429, retryAfter: "0"),
                "hang" => ScriptedFault.Hang,
                "reset" => ScriptedFault.ResetConnection,
                _ => ScriptedFault.Garbage,
            },
        });
        f.Anthropic.Enqueue(ScriptedTurn.Reply("from the fallback"));
        using var http = Http(f, key);

        using var response = await http.PostAsync("v1/chat/completions", Chat("coder"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().ShouldBe("from the fallback");
        var record = (await f.InvocationsAsync()).Single().Record.GetRawText();
        record.ShouldContain("\"attempts\":2");
        record.ShouldContain("\"gen_ai.provider.name\":\"claude\"");
        var route = await f.Admin.GetModelRouteAsync(GatewayFixture.Org, "coder");
        route.Health!.Single(h => h.Model == "primary").ConsecutiveFailures.ShouldBe(1);
        // The gateway is still serving.
        f.OpenAI.Enqueue(ScriptedTurn.Reply("fine again"));
        using var again = await http.PostAsync("v1/chat/completions", Chat("coder"));
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task RetriesWithBackoff_RecoverFromATransientError_OnTheSameTarget()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:primary"], retries: 2);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn { Fault = ScriptedFault.Status(503) });
        f.OpenAI.Enqueue(ScriptedTurn.Reply("second time lucky"));
        using var http = Http(f, key);

        using var response = await http.PostAsync("v1/chat/completions", Chat("coder"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        f.OpenAI.RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task WhenEveryTargetFails_TheCallerGetsAnErrorInItsOwnFormat_AndATargetCoolsDownAfterRepeatedFailures()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["dead:nothing-listens"]);
        await f.RouteAsync("claude", ["dead:nothing-listens"]);
        var key = await f.KeyAsync();
        using var http = Http(f, key);

        for (var i = 0; i < 3; i++)
        {
            using var openAi = await http.PostAsync("v1/chat/completions", Chat("coder"));
            openAi.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
            JsonDocument.Parse(await openAi.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("could not be reached");
        }

        using var anthropic = await http.PostAsync("v1/messages", Messages("claude"));
        var body = JsonDocument.Parse(await anthropic.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("type").GetString().ShouldBe("error");
        body.GetProperty("error").GetProperty("type").GetString().ShouldBe("api_error");
        (await f.Admin.GetModelRouteAsync(GatewayFixture.Org, "coder")).Health!.Single().State.ShouldBe("cooling-down");
        (await f.InvocationsAsync(4)).ShouldAllBe(e => e.Outcome == "error");
    }

    [Fact]
    public async Task AClientThatLeavesMidStream_CancelsTheUpstreamCall()
    {
        await using var f = await GatewayFixture.StartAsync(upstream: new ScriptedModelOptions { InterChunkLatency = TimeSpan.FromMilliseconds(200) });
        await f.RouteAsync("coder", ["vllm:slow"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn { Text = string.Join(' ', Enumerable.Repeat("word", 200)), ChunkSize = 5 });
        using var http = Http(f, key);

        using (var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Chat("coder", stream: true) })
        using (var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            response.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
            await using var stream = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[256];
            (await stream.ReadAsync(buffer)).ShouldBeGreaterThan(0);
            await Eventually.HoldsAsync(() => f.OpenAI.ActiveStreams == 1, "the upstream stream is open");
        }

        await Eventually.HoldsAsync(() => f.OpenAI.ActiveStreams == 0, "the upstream stream was cancelled", seconds: 10);
        // The gateway records the call after it has closed the upstream stream, and the recorder writes it in the
        // background: wait for the row rather than racing it.
        await Eventually.HoldsAsync(async () => (await f.Admin.ListModelCallsAsync(GatewayFixture.Org)).Count == 1, "the call is recorded", seconds: 10);
        var call = (await f.Admin.ListModelCallsAsync(GatewayFixture.Org)).Single();
        call.Outcome.ShouldBe("cancelled");
    }

    [Fact]
    public async Task APassedThroughStreamOfGarbage_ReachesTheCallerAsItCame_AndCountsNothing()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:primary"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn { Fault = ScriptedFault.Garbage });
        using var http = Http(f, key);

        using var response = await http.PostAsync("v1/chat/completions", Chat("coder", stream: true));

        // Same-format streams go through byte for byte: an event whose data is not JSON is the provider's business.
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).ShouldBe("data: {\"this is\": not json\n\n");
        var call = (await f.CallsAsync()).Single();
        call.Outcome.ShouldBe("success");
        call.Streamed.ShouldBeTrue();
        (call.InputTokens, call.OutputTokens).ShouldBe((0L, 0L));
        (await f.InvocationsAsync()).ShouldHaveSingleItem();
    }

    [Theory]
    [InlineData("v1/chat/completions")]
    [InlineData("v1/messages")]
    public async Task APassedThroughStreamThatIsCut_EndsWithWholeEvents_AndIsRecordedAsAnError(string path)
    {
        await using var f = await GatewayFixture.StartAsync();
        var anthropic = path == "v1/messages";
        await f.RouteAsync("coder", [anthropic ? "claude:claude-sonnet" : "vllm:primary"]);
        var key = await f.KeyAsync();
        (anthropic ? f.Anthropic : f.OpenAI).Enqueue(new ScriptedTurn { Text = string.Join(' ', Enumerable.Repeat("wörd", 40)), ChunkSize = 5, Fault = ScriptedFault.StreamCutAfter(4) });
        using var http = Http(f, key);
        var body = anthropic
            ? """{"model":"coder","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"""
            : """{"model":"coder","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        using var response = await http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        text.ShouldEndWith("\n\n");
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        events.ShouldAllBe(e => e.Contains("data: {"));
        if (anthropic)
        {
            // Anthropic clients hear of the break in their own error event, after the last whole event.
            events[^1].ShouldStartWith("event: error\ndata: {\"type\":\"error\"");
            events.Length.ShouldBe(5);
        }
        else
        {
            events.Length.ShouldBe(4);
        }

        var call = (await f.CallsAsync()).Single();
        call.Outcome.ShouldBe("error");
        call.Status.ShouldBe(502);
        (await f.InvocationsAsync()).ShouldHaveSingleItem();
    }

    [Fact]
    public async Task BadRequests_AreRefusedInTheCallersFormat()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:m"]);
        var key = await f.KeyAsync();
        using var http = Http(f, key);

        async Task<(HttpStatusCode Status, JsonElement Body)> Send(string path, HttpContent content, string? withKey = null)
        {
            // Expect: 100-continue lets the gateway refuse an oversize body before the client sends it.
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
            request.Headers.ExpectContinue = true;
            using var anonymous = new HttpClient { BaseAddress = f.Server.BaseAddress };
            if (withKey is { Length: > 0 })
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", withKey);
            }

            using var response = await (withKey is null ? http : anonymous).SendAsync(request);
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var malformed = await Send("v1/chat/completions", new StringContent("{\"model\": ", Encoding.UTF8, "application/json"));
        malformed.Status.ShouldBe(HttpStatusCode.BadRequest);
        malformed.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");

        // Two values for one name: refused, not guessed between.
        var duplicate = await Send("v1/chat/completions", new StringContent("""{"model":"coder","model":"other","messages":[]}""", Encoding.UTF8, "application/json"));
        duplicate.Status.ShouldBe(HttpStatusCode.BadRequest);
        duplicate.Body.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("not valid JSON");

        var notAnObject = await Send("v1/chat/completions", new StringContent("[1,2]", Encoding.UTF8, "application/json"));
        notAnObject.Status.ShouldBe(HttpStatusCode.BadRequest);

        var noModel = await Send("v1/messages", new StringContent("{\"max_tokens\":5,\"messages\":[]}", Encoding.UTF8, "application/json"));
        noModel.Status.ShouldBe(HttpStatusCode.BadRequest);
        noModel.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe("invalid_request_error");

        var unknown = await Send("v1/chat/completions", Chat("no-such-model"));
        unknown.Status.ShouldBe(HttpStatusCode.NotFound);
        unknown.Body.GetProperty("error").GetProperty("code").GetString().ShouldBe("model_not_found");

        var noKey = await Send("v1/messages", Messages("coder"), withKey: string.Empty);
        noKey.Status.ShouldBe(HttpStatusCode.Unauthorized);
        noKey.Body.GetProperty("error").GetProperty("type").GetString().ShouldBe("authentication_error");

        var forged = await Send("v1/chat/completions", Chat("coder"), withKey: "wvk_" + new string('A', 43));
        forged.Status.ShouldBe(HttpStatusCode.Unauthorized);

        // A Warden API token is not a gateway key.
        var apiToken = await Send("v1/chat/completions", Chat("coder"), withKey: f.Server.AdminToken);
        apiToken.Status.ShouldBe(HttpStatusCode.Unauthorized);

        // A body sent in chunks (no Content-Length), many times the size the gateway starts reading with, arrives whole.
        var longText = new string('y', 300 * 1024);
        using (var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"model":"coder","messages":[{"role":"user","content":"{{longText}}"}]}"""))),
        })
        {
            chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            chunked.Headers.TransferEncodingChunked = true;
            using var answered = await http.SendAsync(chunked);
            answered.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        f.OpenAI.RequestCount.ShouldBe(1);
        f.OpenAI.Requests[0].Body.ShouldContain(longText);

        var huge = new string('x', 33 * 1024 * 1024);
        var tooLarge = await Send("v1/chat/completions", new StringContent($$"""{"model":"coder","messages":[{"role":"user","content":"{{huge}}"}]}""", Encoding.UTF8, "application/json"));
        tooLarge.Status.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        f.OpenAI.RequestCount.ShouldBe(1, "nothing refused reached the model");
    }
}
