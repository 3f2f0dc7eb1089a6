using System.Net;
using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>The test-facing API: turn selection, the echo reply, request recording and waiting, options.</summary>
public sealed class ServerTests
{
    private static HttpRequestMessage ChatRequest(string model, string text) =>
        Http.OpenAI("/v1/chat/completions", JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = text } } }));

    private static async Task<string> ChatTextAsync(HttpClient http, string model, string text)
    {
        var (response, body) = await Http.SendAsync(http, ChatRequest(model, text));
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task BaseAddress_IsTheLoopbackWithTheChosenPort()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());

        server.BaseAddress.Host.ShouldBe("127.0.0.1");
        server.BaseAddress.Port.ShouldBeGreaterThan(0);
        server.BaseAddress.AbsolutePath.ShouldBe("/");
        server.OpenAIEndpoint.ShouldBe(new Uri(server.BaseAddress, "v1/"));
    }

    [Fact]
    public async Task EmptyQueue_EchoesTheLastUserTextDeterministically()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);
        var longText = new string('x', 200);

        (await ChatTextAsync(http, "gpt-4o", "What is 2+2?")).ShouldBe("scripted reply to: What is 2+2?");
        (await ChatTextAsync(http, "gpt-4o", longText)).ShouldBe("scripted reply to: " + new string('x', 80) + "...");

        var (_, anthropic) = await Http.SendAsync(http, Http.Anthropic(
            """{"model":"claude-haiku-4-5","max_tokens":9,"messages":[{"role":"user","content":[{"type":"text","text":"Block text"}]},{"role":"assistant","content":"ok"},{"role":"user","content":"Last one"}]}"""));
        anthropic.ShouldContain("\"text\":\"scripted reply to: Last one\"");

        var (_, responses) = await Http.SendAsync(http, Http.OpenAI("/v1/responses", """{"model":"gpt-4o","input":"Plain input"}"""));
        responses.ShouldContain("\"text\":\"scripted reply to: Plain input\"");
    }

    [Fact]
    public async Task DerivedUsage_FollowsTheTextLengths()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Reply(new string('a', 40)));
        using var http = Http.Client(server);

        var (_, body) = await Http.SendAsync(http, ChatRequest("gpt-4o", new string('q', 80)));

        using var json = JsonDocument.Parse(body);
        var usage = json.RootElement.GetProperty("usage");
        usage.GetProperty("prompt_tokens").GetInt32().ShouldBe(20);
        usage.GetProperty("completion_tokens").GetInt32().ShouldBe(10);
        usage.GetProperty("total_tokens").GetInt32().ShouldBe(30);
    }

    [Fact]
    public async Task Turns_WithAModelOrMatch_WaitForARequestTheyApplyTo()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("default") });
        server.Enqueue(new ScriptedTurn { Text = "only for gpt-4o", Model = "gpt-4o" });
        server.Enqueue(new ScriptedTurn { Text = "mentions weather", Match = r => r.Body.Contains("weather", StringComparison.Ordinal) });
        server.Enqueue(ScriptedTurn.Reply("anything"));
        using var http = Http.Client(server);

        (await ChatTextAsync(http, "gpt-4o-mini", "hello")).ShouldBe("anything");
        (await ChatTextAsync(http, "gpt-4o-mini", "hello")).ShouldBe("default");
        (await ChatTextAsync(http, "gpt-4o-mini", "what's the weather")).ShouldBe("mentions weather");
        (await ChatTextAsync(http, "gpt-4o", "hello")).ShouldBe("only for gpt-4o");
        server.PendingTurns.ShouldBe(0);
    }

    [Fact]
    public async Task Turns_ForEmbeddings_AreUsedOnlyByEmbeddingRequests()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Format = WireFormat.OpenAIEmbeddings, Fault = ScriptedFault.Status(503) });
        using var http = Http.Client(server);

        (await ChatTextAsync(http, "gpt-4o", "hi")).ShouldBe("scripted reply to: hi");
        var (failed, _) = await Http.SendAsync(http, Http.OpenAI("/v1/embeddings", """{"model":"text-embedding-3-small","input":"x"}"""));
        var (ok, _) = await Http.SendAsync(http, Http.OpenAI("/v1/embeddings", """{"model":"text-embedding-3-small","input":"x"}"""));

        failed.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Requests_AreRecordedInOrderAndCanBeCleared()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        await ChatTextAsync(http, "gpt-4o", "first");
        await ChatTextAsync(http, "gpt-4o-mini", "second");

        var requests = await server.WaitForRequestsAsync(2, TimeSpan.FromSeconds(10));
        requests.Select(r => r.Model).ShouldBe(["gpt-4o", "gpt-4o-mini"]);
        requests[0].Timestamp.ShouldBeLessThanOrEqualTo(requests[1].Timestamp);
        requests[1].Header("content-type").ShouldBe("application/json; charset=utf-8");
        requests[1].Header("x-missing").ShouldBeNull();

        server.ClearRequests();
        server.Requests.ShouldBeEmpty();
        server.RequestCount.ShouldBe(0);
    }

    [Fact]
    public async Task WaitForRequests_ReturnsOnceTheCountIsReached()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        using var http = Http.Client(server);

        var waiting = server.WaitForRequestsAsync(2, TimeSpan.FromSeconds(10));
        waiting.IsCompleted.ShouldBeFalse();
        await ChatTextAsync(http, "gpt-4o", "one");
        await ChatTextAsync(http, "gpt-4o", "two");

        (await waiting).Count.ShouldBe(2);
    }

    [Fact]
    public async Task WaitForRequests_ThrowsAfterItsDeadline()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());

        var e = await Should.ThrowAsync<TimeoutException>(() => server.WaitForRequestsAsync(1, TimeSpan.FromMilliseconds(50)));

        e.Message.ShouldContain("0 arrived");
    }

    [Fact]
    public async Task RecordRequestsOff_KeepsNothingButStillCounts()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RecordRequests = false });
        server.Enqueue(new ScriptedTurn { Text = "matched", Match = r => r.Model == "gpt-4o" });
        using var http = Http.Client(server);

        (await ChatTextAsync(http, "gpt-4o", "hi")).ShouldBe("matched");
        (await server.WaitForRequestsAsync(1, TimeSpan.FromSeconds(10))).ShouldBeEmpty();
        server.RequestCount.ShouldBe(1);
        server.Requests.ShouldBeEmpty();
    }

    [Fact]
    public async Task RejectUnknownModels_AnswersWithTheProvidersNotFound()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { Models = ["gpt-4o"], RejectUnknownModels = true });
        using var http = Http.Client(server);

        var (response, body) = await Http.SendAsync(http, ChatRequest("gpt-5-imaginary", "hi"));

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        using var json = JsonDocument.Parse(body);
        json.RootElement.GetProperty("error").GetProperty("code").GetString().ShouldBe("model_not_found");
        (await ChatTextAsync(http, "gpt-4o", "hi")).ShouldBe("scripted reply to: hi");
    }

    [Fact]
    public async Task TooLargeBodies_GetThe413()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { MaxRequestBodyBytes = 2048 });
        using var http = Http.Client(server);

        var (response, _) = await Http.SendAsync(http, ChatRequest("gpt-4o", new string('z', 5000)));

        response.StatusCode.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task StartAsync_ReportsEveryInvalidOptionAtOnce()
    {
        var e = await Should.ThrowAsync<ArgumentException>(() => ScriptedModelServer.StartAsync(new ScriptedModelOptions
        {
            Listen = "not an address",
            FirstByteLatency = TimeSpan.FromSeconds(-1),
            RequiredApiKey = string.Empty,
        }));

        e.Message.ShouldContain("Listen address 'not an address'");
        e.Message.ShouldContain("FirstByteLatency must not be negative.");
        e.Message.ShouldContain("RequiredApiKey must be null or non-empty.");
    }

    [Fact]
    public async Task Enqueue_RejectsToolArgumentsThatAreNotAJsonObject()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());

        Should.Throw<ArgumentException>(() => server.Enqueue(ScriptedTurn.Calling(new ScriptedToolCall("c", "f", "[1,2]")))).Message.ShouldContain("must be a JSON object");
        Should.Throw<ArgumentException>(() => server.Enqueue(ScriptedTurn.Calling(new ScriptedToolCall("c", "f", "{oops")))).Message.ShouldContain("not valid JSON");
        server.PendingTurns.ShouldBe(0);
    }

    [Fact]
    public async Task Servers_RunSideBySideOnTheirOwnPorts()
    {
        await using var a = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("from a") });
        await using var b = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("from b") });
        using var httpA = Http.Client(a);
        using var httpB = Http.Client(b);

        a.BaseAddress.Port.ShouldNotBe(b.BaseAddress.Port);
        (await ChatTextAsync(httpA, "m", "x")).ShouldBe("from a");
        (await ChatTextAsync(httpB, "m", "x")).ShouldBe("from b");
    }
}
