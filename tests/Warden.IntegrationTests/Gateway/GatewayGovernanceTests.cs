using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.IntegrationTests.AuditIngest;
using Warden.ScriptedModel;

namespace Warden.IntegrationTests.Gateway;

/// <summary>Keys, budgets, limits, policy, prompt inspection and capture: what the gateway governs, attacked.</summary>
public sealed class GatewayGovernanceTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> ChatAsync(GatewayFixture f, string key, string model, string prompt = "hi")
    {
        using var http = new HttpClient { BaseAddress = f.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var body = JsonSerializer.Serialize(new { model, messages = new[] { new { role = "user", content = prompt } } });
        var response = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone(), response);
    }

    [Fact]
    public async Task ABudget_StopsCallsOnceSpent_BeforeAnythingIsSent()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:gpt-4o"]);
        await f.Admin.SetModelPriceAsync(GatewayFixture.Org, new PutModelPriceRequest("gpt-4o", 10m, 10m));
        var key = await f.KeyAsync(new CreateVirtualKeyRequest("tight", BudgetUsd: 0.01m));
        // Each call: 1,000 tokens at $10 per million = $0.01: the first spends the whole budget.
        f.OpenAI.Enqueue(new ScriptedTurn { Text = "ok", InputTokens = 500, OutputTokens = 500 });

        (await ChatAsync(f, key, "coder")).Status.ShouldBe(HttpStatusCode.OK);
        var refused = await ChatAsync(f, key, "coder");

        refused.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        refused.Body.GetProperty("error").GetProperty("code").GetString().ShouldBe("insufficient_quota");
        f.OpenAI.RequestCount.ShouldBe(1);
        // Records are written just after each answer, so two quick calls may be recorded in either order.
        (await f.InvocationsAsync(2)).Select(e => e.Outcome).Order().ShouldBe(["denied", "success"]);
        var keys = await f.Admin.ListVirtualKeysAsync(GatewayFixture.Org);
        (await f.Admin.GetVirtualKeyAsync(GatewayFixture.Org, keys.Single().Id)).SpentUsd.ShouldBe(0.01m);
    }

    [Fact]
    public async Task RequestsPerMinute_AndConcurrency_AreEnforcedPerKey()
    {
        await using var f = await GatewayFixture.StartAsync(upstream: new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("ok") });
        await f.RouteAsync("coder", ["vllm:m"]);
        var limited = await f.KeyAsync(new CreateVirtualKeyRequest("rpm", Rpm: 2));
        var other = await f.KeyAsync(new CreateVirtualKeyRequest("other"));

        (await ChatAsync(f, limited, "coder")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(f, limited, "coder")).Status.ShouldBe(HttpStatusCode.OK);
        var third = await ChatAsync(f, limited, "coder");
        third.Status.ShouldBe(HttpStatusCode.TooManyRequests);
        third.Response.Headers.RetryAfter.ShouldNotBeNull();
        third.Body.GetProperty("error").GetProperty("code").GetString().ShouldBe("rate_limit_exceeded");
        (await ChatAsync(f, other, "coder")).Status.ShouldBe(HttpStatusCode.OK);

        f.Server.Time.Advance(TimeSpan.FromMinutes(2));
        (await ChatAsync(f, limited, "coder")).Status.ShouldBe(HttpStatusCode.OK);

        await using var slow = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { DefaultTurn = new ScriptedTurn { Fault = ScriptedFault.Hang } });
        await f.Admin.PutModelProviderAsync(GatewayFixture.Org, "slow", new PutModelProviderRequest("openai-compatible", slow.OpenAIEndpoint.ToString()));
        await f.RouteAsync("slow", ["slow:m"], timeoutMs: 5_000);
        var single = await f.KeyAsync(new CreateVirtualKeyRequest("one-at-a-time", MaxConcurrency: 1));
        var hanging = ChatAsync(f, single, "slow");
        await AuditIngest.Eventually.HoldsAsync(() => slow.ActiveRequests == 1, "the first call is in flight");
        (await ChatAsync(f, single, "slow")).Status.ShouldBe(HttpStatusCode.TooManyRequests);
        (await hanging).Status.ShouldBe(HttpStatusCode.GatewayTimeout);
    }

    [Fact]
    public async Task RevokedKeys_DisallowedModels_AndPolicyDenials_AreRefusedAndAudited()
    {
        await using var f = await GatewayFixture.StartAsync(upstream: new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("ok") });
        await f.RouteAsync("coder", ["vllm:m"]);
        await f.RouteAsync("premium", ["claude:claude-opus-4-20250514"]);
        var created = await f.Admin.CreateVirtualKeyAsync(GatewayFixture.Org, new CreateVirtualKeyRequest("scoped", AllowedModels: ["coder"]));
        var key = created.Secret;

        (await ChatAsync(f, key, "coder")).Status.ShouldBe(HttpStatusCode.OK);
        (await ChatAsync(f, key, "premium")).Status.ShouldBe(HttpStatusCode.NotFound);

        // An org policy that forbids the coder route for keys is enforced by the gateway.
        var files = new Dictionary<string, string>
        {
            ["policies.cedar"] = """
                @id("keys-call-models")
                permit (principal is Warden::ApiKey, action == Warden::Action::"model.invoke", resource is Warden::Model);
                @id("no-coder")
                forbid (principal, action == Warden::Action::"model.invoke", resource == Warden::Model::"coder");
                """,
        };
        await f.Admin.PushPoliciesAsync(GatewayFixture.Org, new PushPolicyRequest(files, "no coder"));
        f.Server.Time.Advance(TimeSpan.FromSeconds(10));
        var denied = await ChatAsync(f, key, "coder");
        denied.Status.ShouldBe(HttpStatusCode.Forbidden);
        denied.Body.GetProperty("error").GetProperty("message").GetString()!.ShouldContain("Policy does not allow");

        await f.Admin.RevokeVirtualKeyAsync(GatewayFixture.Org, created.Key.Id);
        (await ChatAsync(f, key, "coder")).Status.ShouldBe(HttpStatusCode.Unauthorized);

        var events = await f.InvocationsAsync(4);
        events.Select(e => e.Outcome).Order().ShouldBe(["denied", "denied", "denied", "success"]);
        events.ShouldContain(e => e.Record.GetRawText().Contains("no-coder"));
    }

    [Fact]
    public async Task PromptInspection_BlocksOrRedactsSecrets_AndTheSecretIsNeverStored()
    {
        await using var f = await GatewayFixture.StartAsync(upstream: new ScriptedModelOptions { DefaultTurn = ScriptedTurn.Reply("ok") });
        await f.RouteAsync("coder", ["vllm:m"]);
        const string leaked = "AKIAIOSFODNN7EXAMPLE";
        var prompt = $"deploy with aws key {leaked} please";
        var blocking = await f.KeyAsync(new CreateVirtualKeyRequest("block", Inspection: "block"));
        var redacting = await f.KeyAsync(new CreateVirtualKeyRequest("redact", Inspection: "redact", Capture: true));

        var blocked = await ChatAsync(f, blocking, "coder", prompt);
        blocked.Status.ShouldBe(HttpStatusCode.BadRequest);
        f.OpenAI.RequestCount.ShouldBe(0);

        (await ChatAsync(f, redacting, "coder", prompt)).Status.ShouldBe(HttpStatusCode.OK);
        var upstream = f.OpenAI.Requests.Single().Body;
        upstream.ShouldNotContain(leaked);
        upstream.ShouldContain("REDACTED");

        // The call is recorded just after its answer is sent: wait for it before reading the records.
        await Eventually.HoldsAsync(async () => (await f.Admin.ListModelCallsAsync(GatewayFixture.Org)).Any(c => c.Outcome == "success"), "the call is recorded", seconds: 10);
        var events = await f.InvocationsAsync(2);
        events.ShouldAllBe(e => !e.Record.GetRawText().Contains(leaked));
        events.ShouldContain(e => e.Record.GetRawText().Contains("inspection"));
        var call = (await f.Admin.ListModelCallsAsync(GatewayFixture.Org)).First(c => c.Outcome == "success");
        var capture = await f.Admin.GetModelCaptureAsync(GatewayFixture.Org, call.Id);
        capture.Request.ShouldNotContain(leaked);
        capture.Response!.ShouldContain("ok");
    }

    [Fact]
    public async Task TheCli_ConfiguresProvidersRoutesAndKeys_AndReportsUsage()
    {
        await using var f = await GatewayFixture.StartAsync();
        var config = Path.Combine(f.Server.Db.Folder, "cli");
        (await CliRunner.RunAsync(config, "login", "--server", f.Server.BaseAddress.ToString(), "--token", f.Server.AdminToken)).Code.ShouldBe(0);
        var credentialFile = Path.Combine(f.Server.Db.Folder, "upstream.key");
        await File.WriteAllTextAsync(credentialFile, GatewayFixture.OpenAIUpstreamKey);

        var provider = await CliRunner.RunAsync(config, "model", "provider", "set", "local", "--kind", "openai-compatible", "--base-url", f.OpenAI.OpenAIEndpoint.ToString(), "--credential-file", credentialFile);
        provider.Code.ShouldBe(0, provider.Err);
        provider.Out.ShouldNotContain(GatewayFixture.OpenAIUpstreamKey);
        (await CliRunner.RunAsync(config, "model", "route", "set", "coder", "--target", "local:qwen@3", "--target", "vllm:other", "--fallback", "claude:claude-sonnet-4-20250514")).Code.ShouldBe(0);
        var routes = await CliRunner.RunAsync(config, "model", "route", "list");
        routes.Out.ShouldContain("local:qwen@3");
        var bad = await CliRunner.RunAsync(config, "model", "route", "set", "x", "--target", "nonsense");
        bad.Code.ShouldNotBe(0);
        bad.Err.ShouldContain("PROVIDER:MODEL");

        var created = await CliRunner.RunAsync(config, "key", "create", "laptop", "--models", "coder", "--rpm", "100", "--budget", "5", "--json");
        created.Code.ShouldBe(0, created.Err);
        var secret = JsonDocument.Parse(created.Out).RootElement.GetProperty("secret").GetString()!;
        f.OpenAI.Enqueue(new ScriptedTurn { Text = "hi", InputTokens = 10, OutputTokens = 5 });
        f.OpenAI.Enqueue(new ScriptedTurn { Text = "hi", InputTokens = 10, OutputTokens = 5 });
        await f.Admin.PutModelRouteAsync(GatewayFixture.Org, "coder", new PutModelRouteRequest([new RouteTargetDto("local", "qwen")]));
        (await ChatAsync(f, secret, "coder")).Status.ShouldBe(HttpStatusCode.OK);
        await f.CallsAsync();

        var usage = await CliRunner.RunAsync(config, "model", "usage", "--by", "key");
        usage.Code.ShouldBe(0, usage.Err);
        usage.Out.ShouldContain("laptop");
        (await CliRunner.RunAsync(config, "key", "list")).Out.ShouldContain("100 rpm");
        (await CliRunner.RunAsync(config, "key", "revoke", "laptop")).Code.ShouldBe(0);
        (await ChatAsync(f, secret, "coder")).Status.ShouldBe(HttpStatusCode.Unauthorized);
        (await CliRunner.RunAsync(config, "model", "provider", "list")).Out.ShouldNotContain(GatewayFixture.OpenAIUpstreamKey);
    }
}
