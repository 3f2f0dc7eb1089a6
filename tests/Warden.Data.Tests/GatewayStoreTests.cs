using System.Security.Cryptography;
using System.Text;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Data.Security;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>The model gateway's stores on both engines: sealed credentials, routes, prices, keys, usage and captures.</summary>
public sealed class GatewayStoreTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ProviderCredentials_AreSealedAtRest_NeverListed_AndResolvedOnlyForTheGateway(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        const string secret = "sk-live-provider-credential-0123456789abcdef";
        await env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("openai", "openai", "https://api.openai.com/v1", Credential: secret));

        var listed = (await env.Providers.ListAsync(env.Member, "acme")).ShouldHaveSingleItem();
        listed.HasCredential.ShouldBeTrue();
        listed.BaseUrl.ShouldBe("https://api.openai.com/v1/");
        await using (var c = await env.Db.Connections.OpenAsync())
        {
            var raw = await c.QuerySingleAsync<byte[]>("SELECT credential FROM model_providers");
            Encoding.UTF8.GetString(raw).ShouldNotContain("provider-credential");
        }

        (await env.Providers.LoadResolvedAsync(env.OrgId)).ShouldHaveSingleItem().Credential.ShouldBe(secret);
        (await env.Providers.LoadResolvedAsync(env.OrgId)).Single().ToString().ShouldNotContain(secret);

        // Replacing settings without a credential keeps it; an empty one clears it.
        await env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("openai", "openai", "https://gateway.internal/v1/"));
        (await env.Providers.LoadResolvedAsync(env.OrgId)).Single().Credential.ShouldBe(secret);
        await env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("openai", "openai", "https://gateway.internal/v1/", Credential: ""));
        (await env.Providers.LoadResolvedAsync(env.OrgId)).Single().Credential.ShouldBeNull();

        // The audit trail says the credential changed, never what it is.
        env.Audit.Drafts.ShouldContain(d => d.Action == "model.provider.create");
        env.Audit.Drafts.ShouldAllBe(d => d.Details == null || !d.Details.Value.GetRawText().Contains(secret));
        (await Should.ThrowAsync<WardenException>(env.Providers.PutAsync(env.Member, "acme", new ProviderSpec("x", "openai", "https://x/")))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("x", "gemini", "https://x/")))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("x", "openai", "https://user:pw@x/")))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Providers.ListAsync(env.Outsider, "acme"))).Kind.ShouldBe(WardenErrorKind.NotFound);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Routes_NeedKnownProviders_AndKeepProvidersInUseFromDeletion(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        await env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("vllm", "openai-compatible", "http://vllm:8000/v1/"));
        await env.Providers.PutAsync(env.Admin, "acme", new ProviderSpec("anthropic", "anthropic", "https://api.anthropic.com/"));

        var route = await env.Routes.PutAsync(env.Admin, "acme", new RouteSpec("coder",
            [new RouteTarget("vllm", "Qwen/Qwen2.5-Coder-32B", 3), new RouteTarget("vllm", "other", 1)], [new RouteTarget("anthropic", "claude-sonnet-4-20250514")], 30_000, 2));
        route.Targets.Count.ShouldBe(2);
        route.Targets[0].Weight.ShouldBe(3);
        (await env.Routes.LoadAsync(env.OrgId)).Single().Fallbacks.Single().Model.ShouldBe("claude-sonnet-4-20250514");

        (await Should.ThrowAsync<WardenException>(env.Routes.PutAsync(env.Admin, "acme", new RouteSpec("x", [new RouteTarget("nope", "m")])))).Message.ShouldContain("nope");
        (await Should.ThrowAsync<WardenException>(env.Routes.PutAsync(env.Admin, "acme", new RouteSpec("x", [])))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Routes.PutAsync(env.Admin, "acme", new RouteSpec("x", [new RouteTarget("vllm", "m", 0)])))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Providers.DeleteAsync(env.Admin, "acme", "anthropic"))).Kind.ShouldBe(WardenErrorKind.Conflict);

        await env.Routes.DeleteAsync(env.Admin, "acme", "coder");
        await env.Providers.DeleteAsync(env.Admin, "acme", "anthropic");
        (await env.Providers.ListAsync(env.Admin, "acme")).ShouldHaveSingleItem().Name.ShouldBe("vllm");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Prices_OverlayTheDefaults_AndCostIsComputedInMicroDollars(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var defaults = await env.Prices.LoadAsync(env.OrgId);
        defaults["gpt-4o"].IsDefault.ShouldBeTrue();

        await env.Prices.SetAsync(env.Admin, "acme", "gpt-4o", 1.25m, 5m, 0.5m);
        await env.Prices.SetAsync(env.Admin, "acme", "Qwen/Qwen2.5-Coder-32B", 0m, 0m, null);
        var prices = await env.Prices.LoadAsync(env.OrgId);
        prices["gpt-4o"].IsDefault.ShouldBeFalse();
        prices["gpt-4o"].InputPerMTok.ShouldBe(1.25m);
        // 1,000 input of which 200 cached, 500 output: 800*1.25 + 200*0.5 + 500*5 = 3600 micro-dollars.
        prices["gpt-4o"].CostMicros(1_000, 500, 200).ShouldBe(3_600);
        prices["Qwen/Qwen2.5-Coder-32B"].CostMicros(1_000_000, 1_000_000, 0).ShouldBe(0);

        await env.Prices.DeleteAsync(env.Admin, "acme", "gpt-4o");
        (await env.Prices.LoadAsync(env.OrgId))["gpt-4o"].IsDefault.ShouldBeTrue();
        (await Should.ThrowAsync<WardenException>(env.Prices.SetAsync(env.Admin, "acme", "m", -1m, 1m, null))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Prices.SetAsync(env.Member, "acme", "m", 1m, 1m, null))).Kind.ShouldBe(WardenErrorKind.Forbidden);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task VirtualKeys_AreHashed_ScopedToTheirOwner_AndCarryTheirLimits(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        await new TeamStore(env.Db.Connections, env.Time).CreateAsync(env.Admin, "acme", "platform", null, null);

        var mine = await env.Keys.CreateAsync(env.Member, "acme", new VirtualKeySpec("laptop", AllowedModels: ["coder"], Rpm: 60, Tpm: 100_000, MaxConcurrency: 2, BudgetUsd: 12.5m, BudgetPeriod: "monthly"));
        var team = await env.Keys.CreateAsync(env.Admin, "acme", new VirtualKeySpec("ci", "team", "platform", Capture: true, CaptureDays: 7, Inspection: "block"));
        mine.Secret.ShouldStartWith(VirtualKeyStore.KeyPrefix);

        var who = (await env.Keys.AuthenticateAsync(mine.Secret))!;
        who.OrgName.ShouldBe("acme");
        who.UserId.ShouldBe(env.Member.UserId);
        who.AllowedModels.ShouldBe(["coder"]);
        who.BudgetMicros.ShouldBe(12_500_000);
        who.BudgetPeriod.ShouldBe("monthly");
        var teamKey = (await env.Keys.AuthenticateAsync(team.Secret))!;
        teamKey.TeamId.ShouldNotBeNull();
        teamKey.Capture.ShouldBeTrue();
        teamKey.Inspection.ShouldBe("block");
        (await env.Keys.AuthenticateAsync("wvk_" + new string('x', 43))).ShouldBeNull();

        await using (var c = await env.Db.Connections.OpenAsync())
        {
            var stored = string.Join("|", await c.QueryAsync<string>("SELECT key_hash || prefix || name FROM virtual_keys"));
            stored.ShouldNotContain(mine.Secret[12..]);
        }

        // A member sees and revokes only their own; a team key is for managers; other orgs see nothing.
        (await env.Keys.ListAsync(env.Member, "acme")).ShouldHaveSingleItem().Id.ShouldBe(mine.Key.Id);
        (await env.Keys.ListAsync(env.Admin, "acme")).Count.ShouldBe(2);
        (await Should.ThrowAsync<WardenException>(env.Keys.RevokeAsync(env.Member, "acme", team.Key.Id))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(env.Keys.CreateAsync(env.Member, "acme", new VirtualKeySpec("t", "team", "platform")))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(env.Keys.ListAsync(env.Outsider, "acme"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(env.Keys.CreateAsync(env.Member, "acme", new VirtualKeySpec("x", Inspection: "maybe")))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await Should.ThrowAsync<WardenException>(env.Keys.CreateAsync(env.Member, "acme", new VirtualKeySpec("x", ExpiresAt: env.Time.GetUtcNow().AddDays(-1))))).Kind.ShouldBe(WardenErrorKind.Validation);

        // Only the session runner (a system actor) binds a key to an agent session; the binding rides on the identity.
        (await Should.ThrowAsync<WardenException>(env.Keys.CreateAsync(env.Admin, "acme", new VirtualKeySpec("spoof", SessionId: "ses_someone")))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        var runnerKey = await env.Keys.CreateAsync(Actor.System("agent-runner"), "acme", new VirtualKeySpec("session-ses_1-1", "user", "ada", SessionId: "ses_1"));
        (await env.Keys.AuthenticateAsync(runnerKey.Secret))!.SessionId.ShouldBe("ses_1");
        who.SessionId.ShouldBeNull();

        var changed = new List<string>();
        env.Keys.Changed += changed.Add;
        await env.Keys.RevokeAsync(env.Member, "acme", "laptop");
        (await env.Keys.AuthenticateAsync(mine.Secret))!.RevokedAt.ShouldNotBeNull();
        changed.ShouldBe([mine.Key.Id]);
        env.Audit.Drafts.Count(d => d.Action == "model.key.create").ShouldBe(3);
        env.Audit.Drafts.ShouldContain(d => d.Action == "model.key.revoke");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Usage_SumsPerKeyAndGroup_AndCapturesAreSealedAndExpire(string engine)
    {
        await using var env = await Env.CreateAsync(engine);
        var key = await env.Keys.CreateAsync(env.Member, "acme", new VirtualKeySpec("laptop"));
        var now = env.Time.GetUtcNow();
        ModelUsageRecord Usage(string id, long cost, string outcome, DateTimeOffset at) =>
            new(id, env.OrgId, key.Key.Id, env.Member.UserId, null, "coder", "vllm", "qwen", "claude-cli/1.0", 200, outcome, 100, 50, 0, cost, 12, true, at);
        var usage = new ModelUsageStore(env.Db.Connections, env.Secrets, env.Time);
        const string prompt = "{\"messages\":[{\"role\":\"user\",\"content\":\"the quarterly numbers\"}]}";
        await usage.InsertAsync(
            [Usage("mc_1", 1_500, "success", now.AddDays(-40)), Usage("mc_2", 2_000, "success", now.AddMinutes(-5)), Usage("mc_3", 0, "error", now.AddMinutes(-1))],
            [new ModelCapture("mc_2", env.OrgId, key.Key.Id, prompt, "{\"answer\":1}", now, now.AddDays(1))]);

        (await usage.SpentMicrosAsync(key.Key.Id, null)).ShouldBe(3_500);
        (await usage.SpentMicrosAsync(key.Key.Id, now.AddDays(-1))).ShouldBe(2_000);
        var byKey = (await usage.SummaryAsync(env.Admin, "acme", "key", now.AddDays(-1), now.AddSeconds(1))).ShouldHaveSingleItem();
        byKey.Label.ShouldBe("laptop");
        byKey.Requests.ShouldBe(2);
        byKey.Errors.ShouldBe(1);
        byKey.CostUsd.ShouldBe(0.002m);
        (await usage.SummaryAsync(env.Member, "acme", "user", now.AddDays(-1), now.AddSeconds(1))).Single().Label.ShouldBe(env.Member.Name);
        (await usage.RecentAsync(env.Admin, "acme", null, 10)).Select(u => u.Id).ShouldBe(["mc_3", "mc_2", "mc_1"]);
        (await Should.ThrowAsync<WardenException>(usage.SummaryAsync(env.Admin, "acme", "colour", now, now))).Kind.ShouldBe(WardenErrorKind.Validation);

        await using (var c = await env.Db.Connections.OpenAsync())
        {
            Encoding.UTF8.GetString(await c.QuerySingleAsync<byte[]>("SELECT request FROM model_captures")).ShouldNotContain("quarterly");
        }

        (await usage.GetCaptureAsync(env.Admin, "acme", "mc_2")).Request.ShouldBe(prompt);
        (await Should.ThrowAsync<WardenException>(usage.GetCaptureAsync(env.Member, "acme", "mc_2"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await usage.CapturedAsync(env.Admin, "acme", ["mc_1", "mc_2", "mc_3"])).ShouldBe(["mc_2"]);
        (await usage.CapturedAsync(env.Member, "acme", ["mc_1", "mc_2", "mc_3"])).ShouldBeEmpty("members cannot open captures, so they are not told of them");
        (await usage.CapturedAsync(env.Admin, "acme", [])).ShouldBeEmpty();
        env.Time.Advance(TimeSpan.FromDays(2));
        (await usage.CapturedAsync(env.Admin, "acme", ["mc_2"])).ShouldBeEmpty("an expired capture is not offered even before it is purged");
        (await usage.PurgeExpiredCapturesAsync()).ShouldBe(1);
        (await Should.ThrowAsync<WardenException>(usage.GetCaptureAsync(env.Admin, "acme", "mc_2"))).Kind.ShouldBe(WardenErrorKind.NotFound);
    }

    private sealed class Env : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required FakeTime Time { get; init; }
        public required SecretBox Secrets { get; init; }
        public required RecordingAudit Audit { get; init; }
        public required Actor Admin { get; init; }
        public required Actor Member { get; init; }
        public required Actor Outsider { get; init; }
        public required string OrgId { get; init; }
        public ModelProviderStore Providers => new(Db.Connections, Secrets, Time, Audit);
        public ModelRouteStore Routes => new(Db.Connections, Time, Audit);
        public ModelPriceStore Prices => new(Db.Connections, Time, Audit);
        public VirtualKeyStore Keys { get; private set; } = null!;

        public static async Task<Env> CreateAsync(string engine)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var time = new FakeTime();
            var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
            var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
            var org = await new OrgStore(db.Connections, time).CreateAsync(admin, "acme", null);
            await new OrgStore(db.Connections, time).CreateAsync(admin, "other", null);
            var users = new UserStore(db.Connections, time);
            var ada = await users.CreateAsync(admin, "acme", new NewUser("ada", Role: "member"));
            var eve = await users.CreateAsync(admin, "other", new NewUser("eve", Role: "owner"));
            var audit = new RecordingAudit();
            var env = new Env
            {
                Db = db, Time = time, Secrets = new SecretBox(RandomNumberGenerator.GetBytes(32)), Audit = audit, Admin = admin,
                Member = new Actor(ActorKind.User, ada.Id, ada.Name, false), Outsider = new Actor(ActorKind.User, eve.Id, eve.Name, false), OrgId = org.Id,
            };
            env.Keys = new VirtualKeyStore(db.Connections, time, audit);
            return env;
        }

        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }
}
