using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>Ingestion keys and export cursors in the store, on both engines.</summary>
public sealed class AuditIngestStoreTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task IngestKeys_AreStoredHashed_AuthenticateToTheirOrg_AndAreIsolatedPerOrg(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var time = new FakeTime();
        var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
        var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
        await new OrgStore(db.Connections, time).CreateAsync(admin, "acme", null);
        var ada = await new UserStore(db.Connections, time).CreateAsync(admin, "acme", new NewUser("ada", Role: "admin"));
        var acmeAdmin = new Actor(ActorKind.User, ada.Id, ada.Name, IsSiteAdmin: false);
        var keys = new AuditIngestKeyStore(db.Connections, time);

        var defaultKey = await keys.CreateAsync(admin, "default", "laptops", null);
        var acmeKey = await keys.CreateAsync(acmeAdmin, "acme", "ci", "acme-ci");
        var who = await keys.AuthenticateAsync(acmeKey.Secret);
        await using var c = await db.Connections.OpenAsync();
        var stored = (await c.QueryAsync<string>("SELECT key_hash || prefix || name FROM audit_ingest_keys")).ToList();

        defaultKey.Secret.ShouldStartWith(AuditIngestKeyStore.KeyPrefix);
        defaultKey.Key.Vendor.ShouldBe("otlp");
        who!.OrgName.ShouldBe("acme");
        who.Vendor.ShouldBe("acme-ci");
        var secretTails = new[] { defaultKey.Secret.Substring(12), acmeKey.Secret.Substring(12) };
        stored.ShouldAllBe(s => !secretTails.Any(t => s.Contains(t)));
        (await keys.AuthenticateAsync(adminToken!)).ShouldBeNull();
        (await keys.AuthenticateAsync("wik_not-a-key")).ShouldBeNull();
        (await Should.ThrowAsync<WardenException>(keys.ListAsync(acmeAdmin, "default"))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(keys.RevokeAsync(admin, "acme", defaultKey.Key.Id))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(keys.CreateAsync(admin, "default", "x", "Not A Vendor"))).Kind.ShouldBe(WardenErrorKind.Validation);
        (await keys.ListAsync(acmeAdmin, "acme")).ShouldHaveSingleItem().Id.ShouldBe(acmeKey.Key.Id);

        await keys.RevokeAsync(acmeAdmin, "acme", acmeKey.Key.Id);
        (await keys.AuthenticateAsync(acmeKey.Secret)).ShouldBeNull();
        (await keys.AuthenticateAsync(defaultKey.Secret)).ShouldNotBeNull();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ExportCursors_OnlyMoveForward_AndOnlyForSystemActors(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var cursors = new AuditExportCursorStore(db.Connections, new FakeTime());
        var exporter = Actor.System("audit-exporter");

        var initial = await cursors.GetAsync(exporter, "siem");
        await cursors.AdvanceAsync(exporter, "siem", 10);
        await cursors.AdvanceAsync(exporter, "siem", 7);
        await cursors.AdvanceAsync(exporter, "file", 3);

        initial.ShouldBe(0);
        (await cursors.GetAsync(exporter, "siem")).ShouldBe(10);
        (await cursors.GetAsync(exporter, "file")).ShouldBe(3);
        var user = new Actor(ActorKind.User, "usr_x", "x", IsSiteAdmin: false);
        (await Should.ThrowAsync<WardenException>(cursors.AdvanceAsync(user, "siem", 99))).Kind.ShouldBe(WardenErrorKind.Forbidden);
    }
}
