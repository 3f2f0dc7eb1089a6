using Dapper;
using AuditEventDraft = Warden.Audit.AuditEventDraft;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Workers;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>Worker pools, join tokens and the worker registry on both engines: rules, tenant isolation, token life cycle.</summary>
public sealed class WorkerStoreTests
{
    private sealed class Recorder : IAuditRecorder
    {
        public List<AuditEventDraft> Events { get; } = [];

        public Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default)
        {
            lock (Events)
            {
                Events.Add(draft);
            }

            return Task.CompletedTask;
        }
    }

    private sealed record Setup(TestDatabase Db, FakeTime Time, Actor Admin, Actor AcmeAdmin, Actor AcmeViewer, WorkerPoolStore Pools, WorkerStore Workers, Recorder Audit) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Db.DisposeAsync();
    }

    private static async Task<Setup> CreateAsync(string engine)
    {
        var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var time = new FakeTime();
        var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
        var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
        await new OrgStore(db.Connections, time).CreateAsync(admin, "acme", null);
        var users = new UserStore(db.Connections, time);
        var ada = await users.CreateAsync(admin, "acme", new NewUser("ada", Role: "admin"));
        var vic = await users.CreateAsync(admin, "acme", new NewUser("vic", Role: "viewer"));
        var audit = new Recorder();
        return new Setup(db, time, admin, new Actor(ActorKind.User, ada.Id, ada.Name, false), new Actor(ActorKind.User, vic.Id, vic.Name, false),
            new WorkerPoolStore(db.Connections, time, audit), new WorkerStore(db.Connections, time, audit), audit);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Pools_AreCreatedListedAndDeleted_PerOrg_WithRolesAndTenancy(string engine)
    {
        await using var s = await CreateAsync(engine);

        var pool = await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "linux", "Build machines", new Dictionary<string, string> { ["os"] = "linux" });
        await s.Pools.CreateAsync(s.Admin, "default", "linux", null, null);
        var conflict = await Should.ThrowAsync<WardenException>(s.Pools.CreateAsync(s.AcmeAdmin, "acme", "linux", null, null));
        var badName = await Should.ThrowAsync<WardenException>(s.Pools.CreateAsync(s.AcmeAdmin, "acme", "Linux Pool", null, null));
        var badLabel = await Should.ThrowAsync<WardenException>(s.Pools.CreateAsync(s.AcmeAdmin, "acme", "x", null, new Dictionary<string, string> { ["bad key"] = "v" }));
        var viewerCreate = await Should.ThrowAsync<WardenException>(s.Pools.CreateAsync(s.AcmeViewer, "acme", "mine", null, null));
        var otherOrg = await Should.ThrowAsync<WardenException>(s.Pools.ListAsync(s.AcmeAdmin, "default"));
        var otherOrgPool = await Should.ThrowAsync<WardenException>(s.Pools.GetAsync(s.AcmeViewer, "default", "linux"));

        pool.Labels["os"].ShouldBe("linux");
        (await s.Pools.ListAsync(s.AcmeViewer, "acme")).ShouldHaveSingleItem().Description.ShouldBe("Build machines");
        conflict.Kind.ShouldBe(WardenErrorKind.Conflict);
        badName.Kind.ShouldBe(WardenErrorKind.Validation);
        badLabel.Kind.ShouldBe(WardenErrorKind.Validation);
        viewerCreate.Kind.ShouldBe(WardenErrorKind.Forbidden);
        otherOrg.Kind.ShouldBe(WardenErrorKind.NotFound);
        otherOrgPool.Kind.ShouldBe(WardenErrorKind.NotFound);

        await s.Pools.DeleteAsync(s.AcmeAdmin, "acme", "linux");
        (await s.Pools.ListAsync(s.AcmeAdmin, "acme")).ShouldBeEmpty();
        (await s.Pools.ListAsync(s.Admin, "default")).ShouldHaveSingleItem();
        s.Audit.Events.Select(e => e.Action).ShouldBe(["pool.create", "pool.create", "pool.delete"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task JoinTokens_AreStoredHashed_AndStopWorkingWhenRevokedOrExpired(string engine)
    {
        await using var s = await CreateAsync(engine);
        await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "linux", null, null);
        await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "gpu", null, null);

        var forever = await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "linux", "rack 1", null);
        var shortLived = await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "linux", "ci", s.Time.GetUtcNow().AddHours(1));
        var gpu = await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "gpu", "gpu box", null);
        await using (var c = await s.Db.Connections.OpenAsync())
        {
            var stored = string.Join("|", await c.QueryAsync<string>("SELECT token_hash || prefix || name FROM worker_join_tokens"));
            stored.ShouldNotContain(forever.Secret[12..]);
            stored.ShouldNotContain(gpu.Secret[12..]);
        }

        forever.Secret.ShouldStartWith("wjt_");
        forever.Secret.Length.ShouldBe(47);
        (await s.Pools.AuthenticateAsync(forever.Secret)).Identity!.PoolName.ShouldBe("linux");
        (await s.Pools.AuthenticateAsync(gpu.Secret)).Identity!.PoolName.ShouldBe("gpu");
        (await s.Pools.AuthenticateAsync("wjt_" + new string('A', 43))).Failure.ShouldBe("The join token is not valid.");
        (await s.Pools.AuthenticateAsync("wdn_" + forever.Secret[4..])).Failure!.ShouldContain("not a worker join token");
        (await Should.ThrowAsync<WardenException>(s.Pools.ListTokensAsync(s.AcmeViewer, "acme", "linux"))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(s.Pools.RevokeTokenAsync(s.AcmeAdmin, "acme", "gpu", forever.Token.Id))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(s.Pools.CreateTokenAsync(s.Admin, "acme", "linux", "past", s.Time.GetUtcNow().AddMinutes(-1)))).Kind.ShouldBe(WardenErrorKind.Validation);

        s.Time.Advance(TimeSpan.FromHours(2));
        (await s.Pools.AuthenticateAsync(shortLived.Secret)).Failure.ShouldBe("The join token has expired.");
        await s.Pools.RevokeTokenAsync(s.AcmeAdmin, "acme", "linux", forever.Token.Id);
        await s.Pools.RevokeTokenAsync(s.AcmeAdmin, "acme", "linux", forever.Token.Id);
        (await s.Pools.AuthenticateAsync(forever.Secret)).Failure.ShouldBe("The join token has been revoked.");
        (await s.Pools.IsActiveAsync(forever.Token.Id)).ShouldBeFalse();
        (await s.Pools.IsActiveAsync(gpu.Token.Id)).ShouldBeTrue();
        var listed = await s.Pools.ListTokensAsync(s.AcmeAdmin, "acme", "linux");
        listed.Select(t => t.StateAt(s.Time.GetUtcNow())).ShouldBe(["expired", "revoked"]);
        listed.Last().LastUsedAt.ShouldNotBeNull();
        s.Audit.Events.Count(e => e.Action == "pool.token.revoke").ShouldBe(1, "revoking twice records it once");
        var tail = forever.Secret[12..];
        s.Audit.Events.Where(e => e.Action.StartsWith("pool.token", StringComparison.Ordinal)).Select(e => e.Details!.Value.GetRawText()).ShouldAllBe(d => !d.Contains(tail));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task WorkerIds_CannotBeClaimedWithTheJoinTokenAlone_OnlyWithTheWorkersOwnSecret(string engine)
    {
        await using var s = await CreateAsync(engine);
        await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "linux", null, null);
        var linux = (await s.Pools.AuthenticateAsync((await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "linux", "t", null)).Secret)).Identity!;
        var gateway = Actor.System("worker-gateway");
        var labels = new Dictionary<string, string>();
        var (victim, secret) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(null, linux, "victim", "1.0", labels, 2, true, false));
        var (other, otherSecret) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(null, linux, "other", "1.0", labels, 2, true, false));

        // Another machine of the same pool (same join token) tries to take over the victim's id.
        var noSecret = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(victim.Id, linux, "impostor", "1", labels, 1, true, false)));
        var othersSecret = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(victim.Id, linux, "impostor", "1", labels, 1, true, false, otherSecret)));
        var forged = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(victim.Id, linux, "impostor", "1", labels, 1, true, false, secret![..^1] + (secret[^1] == 'a' ? 'b' : 'a'))));
        var theHash = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(victim.Id, linux, "impostor", "1", labels, 1, true, false, Warden.Data.Security.TokenSecrets.Hash(secret))));
        var (back, _) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(victim.Id, linux, "victim", "1.1", labels, 2, true, false, secret));

        new[] { noSecret, othersSecret, forged, theHash }.ShouldAllBe(e => e.Kind == WardenErrorKind.Unauthenticated);
        noSecret.Message.ShouldNotContain(secret);
        back.Name.ShouldBe("victim");
        (await s.Workers.GetAsync(s.AcmeAdmin, "acme", victim.Id)).Name.ShouldBe("victim", "no refused attempt changed the record");
        otherSecret.ShouldNotBe(secret);
        other.Id.ShouldNotBe(victim.Id);
        await using (var c = await s.Db.Connections.OpenAsync())
        {
            var stored = (await c.QueryAsync<string>("SELECT secret_hash FROM workers")).ToList();
            stored.ShouldBe([Warden.Data.Security.TokenSecrets.Hash(secret), Warden.Data.Security.TokenSecrets.Hash(otherSecret!)], ignoreOrder: true);
            // A worker from before secrets existed: its next connection is issued one, and from then on it is required.
            await c.ExecuteAsync("UPDATE workers SET secret_hash = NULL WHERE id = @id", new { id = other.Id });
        }

        var (_, issued) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(other.Id, linux, "other", "1.0", labels, 2, true, false));
        var afterIssue = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(other.Id, linux, "impostor", "1", labels, 1, true, false)));
        var (_, none) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(other.Id, linux, "other", "1.0", labels, 2, true, false, issued));

        issued.ShouldNotBeNull().ShouldStartWith("wks_");
        afterIssue.Kind.ShouldBe(WardenErrorKind.Unauthenticated);
        none.ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Registry_RegistersReregistersDrainsAndBindsSessions_AndOnlyTheGatewayWrites(string engine)
    {
        await using var s = await CreateAsync(engine);
        await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "linux", null, null);
        await s.Pools.CreateAsync(s.AcmeAdmin, "acme", "gpu", null, null);
        var linux = (await s.Pools.AuthenticateAsync((await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "linux", "t", null)).Secret)).Identity!;
        var gpu = (await s.Pools.AuthenticateAsync((await s.Pools.CreateTokenAsync(s.AcmeAdmin, "acme", "gpu", "t", null)).Secret)).Identity!;
        var gateway = Actor.System("worker-gateway");
        var labels = new Dictionary<string, string> { ["arch"] = "x64" };

        var (first, secret) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(null, linux, "w1", "1.0", labels, 2, false, false));
        s.Time.Advance(TimeSpan.FromMinutes(1));
        var (again, reissued) = await s.Workers.RegisterAsync(gateway, new WorkerRegistration(first.Id, linux, "w1-renamed", "1.1", labels, 4, true, false, secret));
        var stolen = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(gateway, new WorkerRegistration(first.Id, gpu, "x", "1", labels, 1, true, false, secret)));
        var byUser = await Should.ThrowAsync<WardenException>(s.Workers.RegisterAsync(s.Admin, new WorkerRegistration(null, linux, "x", "1", labels, 1, true, false)));
        await s.Workers.BindSessionAsync(gateway, "sess1", linux.OrgId, linux.PoolId, first.Id, "https://git.example/app.git");
        var doubleBind = await Should.ThrowAsync<WardenException>(s.Workers.BindSessionAsync(gateway, "sess1", linux.OrgId, linux.PoolId, first.Id, null));
        await s.Workers.SetSessionStateAsync(gateway, "sess1", WorkerSessionState.Ready, null);
        var viewerDrain = await Should.ThrowAsync<WardenException>(s.Workers.RequestDrainAsync(s.AcmeViewer, "acme", first.Id));
        var drained = await s.Workers.RequestDrainAsync(s.AcmeAdmin, "acme", first.Id);

        again.Id.ShouldBe(first.Id);
        secret.ShouldNotBeNull().ShouldStartWith("wks_");
        reissued.ShouldBeNull("a worker keeps its secret");
        again.Name.ShouldBe("w1-renamed");
        again.Capacity.ShouldBe(4);
        again.Sandboxed.ShouldBeTrue();
        again.ConnectedAt.ShouldBe(s.Time.GetUtcNow());
        stolen.Kind.ShouldBe(WardenErrorKind.Forbidden);
        byUser.Kind.ShouldBe(WardenErrorKind.Forbidden);
        doubleBind.Kind.ShouldBe(WardenErrorKind.Conflict);
        viewerDrain.Kind.ShouldBe(WardenErrorKind.Forbidden);
        drained.State.ShouldBe(WorkerState.Draining);
        (await s.Workers.ListAsync(s.AcmeViewer, "acme")).ShouldHaveSingleItem().Labels["arch"].ShouldBe("x64");
        (await s.Workers.ListAsync(s.AcmeViewer, "acme", "gpu")).ShouldBeEmpty();
        (await Should.ThrowAsync<WardenException>(s.Workers.GetAsync(s.Admin, "default", first.Id))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(s.Workers.ListAsync(s.AcmeAdmin, "default"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await s.Workers.ListSessionsAsync(s.AcmeViewer, "acme", first.Id)).ShouldHaveSingleItem().State.ShouldBe(WorkerSessionState.Ready);

        // A server restart: connected workers become lost, with their sessions still bound.
        var lost = await s.Workers.MarkConnectedLostAsync(gateway, "restart");
        lost.ShouldHaveSingleItem().State.ShouldBe(WorkerState.Lost);
        (await s.Workers.GetAsync(s.AcmeAdmin, "acme", first.Id)).State.ShouldBe(WorkerState.Lost);
        (await s.Workers.ListActiveSessionsAsync(gateway, first.Id)).ShouldHaveSingleItem().SessionId.ShouldBe("sess1");
        (await Should.ThrowAsync<WardenException>(s.Workers.RequestDrainAsync(s.AcmeAdmin, "acme", first.Id))).Kind.ShouldBe(WardenErrorKind.Conflict);
        (await s.Workers.SetSessionStateAsync(gateway, "sess1", WorkerSessionState.Failed, "worker lost")).ShouldBeTrue();
        (await s.Workers.SetSessionStateAsync(gateway, "sess1", WorkerSessionState.Ended, "late end")).ShouldBeFalse("a failed session stays failed");
        (await s.Workers.FindSessionAsync(gateway, "sess1"))!.Reason.ShouldBe("worker lost");
        await s.Workers.SetStateAsync(gateway, first.Id, WorkerState.Offline, "gone");
        (await s.Workers.GetAsync(s.AcmeAdmin, "acme", first.Id)).StateReason.ShouldBe("gone");
        await s.Workers.RegisterAsync(gateway, new WorkerRegistration(null, gpu, "g1", "1.0", labels, 1, true, false));
        (await Should.ThrowAsync<WardenException>(s.Pools.DeleteAsync(s.AcmeAdmin, "acme", "gpu"))).Kind.ShouldBe(WardenErrorKind.Conflict, "a pool with a connected worker stays");
        await s.Pools.DeleteAsync(s.AcmeAdmin, "acme", "linux");
        (await s.Workers.ListAsync(s.AcmeAdmin, "acme")).ShouldHaveSingleItem().Name.ShouldBe("g1");
    }
}
