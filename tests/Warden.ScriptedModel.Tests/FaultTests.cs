using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>Faults and latency, as a gateway in front of the server would meet them.</summary>
public sealed class FaultTests
{
    private const string ChatStream = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public async Task Hang_EndsWhenTheClientCancels_AndTheStreamIsNoLongerActive()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Hang));
        using var http = Http.Client(server);
        using var cts = new CancellationTokenSource();

        var send = http.SendAsync(Http.OpenAI("/v1/chat/completions", ChatStream), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        await Eventually.TrueAsync(() => server.ActiveStreams == 1, "the hanging stream to be active");
        send.IsCompleted.ShouldBeFalse();

        await cts.CancelAsync();
        await Should.ThrowAsync<OperationCanceledException>(send);
        await Eventually.TrueAsync(() => server.ActiveStreams == 0 && server.ActiveRequests == 0, "the server to notice the client left");
    }

    [Fact]
    public async Task AbandonedStream_IsNoLongerActiveOnceTheClientLeaves()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { InterChunkLatency = TimeSpan.FromMilliseconds(50) });
        server.Enqueue(ScriptedTurn.Reply(string.Join(' ', Enumerable.Repeat("word", 200))));
        using var http = Http.Client(server);

        var response = await http.SendAsync(Http.OpenAI("/v1/chat/completions", ChatStream), HttpCompletionOption.ResponseHeadersRead);
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            (await reader.ReadLineAsync()).ShouldNotBeNull().ShouldStartWith("data: {");
            server.ActiveStreams.ShouldBe(1);
        }

        response.Dispose();
        await Eventually.TrueAsync(() => server.ActiveStreams == 0, "the abandoned stream to end");
    }

    [Fact]
    public async Task ResetConnection_FailsTheRequestWithoutAResponse()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.ResetConnection));
        using var http = Http.Client(server);

        await Should.ThrowAsync<HttpRequestException>(() => http.SendAsync(Http.OpenAI("/v1/chat/completions", Chat)));

        // The server keeps serving on new connections.
        var (ok, _) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", Chat));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Garbage_Is200WithABodyThatIsNotJson()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Garbage));
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Garbage));
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", Chat));
        var (streamResponse, streamBody) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", ChatStream));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        Should.Throw<JsonException>(() => JsonDocument.Parse(body));
        streamResponse.Content.Headers.ContentType!.MediaType.ShouldBe("text/event-stream");
        var data = SseEvent.ParseAll(streamBody).ShouldHaveSingleItem().Data;
        Should.Throw<JsonException>(() => JsonDocument.Parse(data));
    }

    [Fact]
    public async Task StreamCut_SendsSomeChunksThenAbortsTheConnection()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "one two three four five six", Fault = ScriptedFault.StreamCutAfter(3) });
        using var http = Http.Client(server);

        var response = await http.SendAsync(Http.OpenAI("/v1/chat/completions", ChatStream), HttpCompletionOption.ResponseHeadersRead);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var dataLines = 0;
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync()))
        {
            await Should.ThrowAsync<IOException>(async () =>
            {
                while (await reader.ReadLineAsync() is { } line)
                {
                    if (line.StartsWith("data: ", StringComparison.Ordinal))
                    {
                        line.ShouldNotBe("data: [DONE]");
                        dataLines++;
                    }
                }
            });
        }

        // The chunks sent before the cut arrive; the body then ends early instead of with [DONE].
        dataLines.ShouldBe(3);
        response.Dispose();
        await Eventually.TrueAsync(() => server.ActiveStreams == 0, "the cut stream to end");
    }

    [Fact]
    public async Task StreamCut_OnANonStreamingResponse_DeliversHalfTheBody()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "a complete answer that will not arrive", Fault = ScriptedFault.StreamCutAfter(0) });
        using var http = Http.Client(server);

        var response = await http.SendAsync(Http.OpenAI("/v1/chat/completions", Chat), HttpCompletionOption.ResponseHeadersRead);

        response.Content.Headers.ContentLength.ShouldNotBeNull().ShouldBeGreaterThan(100);
        await Should.ThrowAsync<HttpRequestException>(() => response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ErrorStatus_SendsRetryAfter()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(429, retryAfter: "12", message: "Slow down.")));
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", ChatStream));

        response.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.ShouldBe(TimeSpan.FromSeconds(12));
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("error").GetProperty("message").GetString().ShouldBe("Slow down.");
        json.RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("rate_limit_exceeded");
    }

    [Fact]
    public async Task FirstByteLatency_DelaysTheResponse()
    {
        var latency = TimeSpan.FromMilliseconds(300);
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { FirstByteLatency = latency });
        using var http = Http.Client(server);

        var started = Stopwatch.GetTimestamp();
        var response = await http.SendAsync(Http.OpenAI("/v1/chat/completions", Chat), HttpCompletionOption.ResponseHeadersRead);

        Stopwatch.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(latency);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task InterChunkLatency_SpacesTheChunks()
    {
        var gap = TimeSpan.FromMilliseconds(40);
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { InterChunkLatency = gap });
        server.Enqueue(ScriptedTurn.Reply("a b c d e"));
        using var http = Http.Client(server);

        var started = Stopwatch.GetTimestamp();
        var (_, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", ChatStream));
        var elapsed = Stopwatch.GetElapsedTime(started);

        // role + 5 words + finish + [DONE] = 8 events, 7 gaps.
        var events = SseEvent.ParseAll(body);
        events.Count.ShouldBe(8);
        elapsed.ShouldBeGreaterThanOrEqualTo(gap * (events.Count - 1));
    }

    [Fact]
    public async Task TurnLatency_OverridesTheServerDefault()
    {
        var latency = TimeSpan.FromMilliseconds(250);
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "slow one", FirstByteLatency = latency });
        using var http = Http.Client(server);

        var started = Stopwatch.GetTimestamp();
        var (response, _) = await Http.SendAsync(http, Http.Anthropic("""{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"Hi"}]}"""));

        Stopwatch.GetElapsedTime(started).ShouldBeGreaterThanOrEqualTo(latency);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Dispose_EndsHangingRequests()
    {
        var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Hang));
        using var http = Http.Client(server);
        var send = http.SendAsync(Http.OpenAI("/v1/chat/completions", Chat));
        await server.WaitForRequestsAsync(1, TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => server.ActiveRequests == 1, "the request to hang");

        var disposing = Stopwatch.GetTimestamp();
        await server.DisposeAsync();

        Stopwatch.GetElapsedTime(disposing).ShouldBeLessThan(TimeSpan.FromSeconds(4), "hanging requests are aborted, not waited for");
        await Should.ThrowAsync<HttpRequestException>(send);
    }
}
