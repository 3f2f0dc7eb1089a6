using System.Text;
using System.Text.Json;
using Dapper;
using Warden.Audit;
using Microsoft.Extensions.DependencyInjection;
using Warden.Audit.Canonical;
using Warden.Audit.Export;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>
/// Audit retention through the real server: periods per org, legal holds, erasure that keeps the chain verifiable,
/// pruning of an erased prefix, and attacks on what retention leaves behind.
/// </summary>
public sealed class AuditRetentionTests
{
    private static Task<TestServer> StartAsync(string engine) =>
        TestServer.StartAsync(engine, o => o with { AuditRetentionInterval = TimeSpan.Zero });

    private static async Task<AuditPublicKeySet> KeysAsync(WardenClient client) =>
        new((await client.ListAuditKeysAsync()).Select(k => AuditVerificationKey.FromPem(k.PublicKeyPem)));

    private static async Task<VerificationReport> VerifyExportAsync(WardenClient client)
    {
        using var export = new MemoryStream();
        await client.ExportAuditAsync(export);
        export.Position = 0;
        return await AuditExportReader.VerifyAsync(export, await KeysAsync(client));
    }

    private static async Task<List<string>> BodiesAsync(TestServer server)
    {
        await using var c = await server.Db.Connections.OpenAsync();
        return (await c.QueryAsync<byte[]>("SELECT body FROM audit_events")).Select(b => Encoding.UTF8.GetString(b)).ToList();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Retention_ErasesOneOrgsOldEvents_KeepsTheRest_AndTheLedgerStillVerifies(string engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateOrgAsync(new CreateOrgRequest("acme"));
        await admin.CreateTeamAsync("acme", new CreateTeamRequest("old-acme-team"));
        await admin.CreateTeamAsync("default", new CreateTeamRequest("old-default-team"));
        var set = await admin.SetAuditRetentionAsync("acme", 30);
        set.Days.ShouldBe(30);
        set.UpdatedBy.ShouldBe("admin");

        server.Time.Advance(TimeSpan.FromDays(31));
        await admin.CreateTeamAsync("acme", new CreateTeamRequest("new-acme-team"));

        // A dry run says what would go and changes nothing.
        var dry = await admin.RunAuditRetentionAsync(dryRun: true);
        dry.DryRun.ShouldBeTrue();
        var planned = dry.Erasures.ShouldHaveSingleItem();
        planned.Days.ShouldBe(30);
        planned.Applied.ShouldBeFalse();
        (await admin.SearchAuditAsync("acme", new Dictionary<string, string?> { ["action"] = "team.create" })).Events.Count.ShouldBe(2);

        var run = await admin.RunAuditRetentionAsync(dryRun: false);
        var erased = run.Erasures.ShouldHaveSingleItem();
        erased.Applied.ShouldBeTrue();
        erased.Events.ShouldBe(planned.Events);
        erased.RecordSequence.ShouldNotBeNull();

        // acme's old events are gone from its trail; its new one, the record of the erasure and the other org stay.
        var acme = (await admin.SearchAuditAsync("acme")).Events;
        acme.Count(e => e.Action == "team.create").ShouldBe(1);
        var record = acme.Single(e => e.Action == "audit.retention.erase");
        record.Sequence.ShouldBe(erased.RecordSequence!.Value);
        record.Record.GetProperty("details").GetProperty("count").GetInt32().ShouldBe(erased.Events);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.create" })).Events.ShouldHaveSingleItem();
        var bodies = await BodiesAsync(server);
        bodies.ShouldNotContain(b => b.Contains("old-acme-team"));
        bodies.ShouldContain(b => b.Contains("new-acme-team"));
        bodies.ShouldContain(b => b.Contains("old-default-team"));
        // The copies kept for filtering are blanked too: nothing names who did what.
        await using (var c = await server.Db.Connections.OpenAsync())
        {
            var firstErased = await c.ExecuteScalarAsync<long>("SELECT MIN(seq) FROM audit_events WHERE erased_by IS NOT NULL");
            (await Should.ThrowAsync<WardenApiException>(() => admin.GetAuditEventAsync("acme", firstErased))).Status.ShouldBe(404);
            var rows = (await c.QueryAsync<(string ActorId, string Action, string? ResourceId)>("SELECT actor_id, action, resource_id FROM audit_events WHERE erased_by IS NOT NULL")).ToList();
            rows.Count.ShouldBe(erased.Events);
            rows.ShouldAllBe(r => r.ActorId == string.Empty && r.Action == string.Empty && r.ResourceId == null);
        }

        // Online and offline, the chain still verifies, and says how many events were erased.
        var report = await admin.VerifyAuditAsync();
        report.Intact.ShouldBeTrue(report.Problem);
        report.ErasedEvents.ShouldBe(erased.Events);
        var offline = await VerifyExportAsync(admin);
        offline.IsIntact.ShouldBeTrue(offline.Problem?.Message);
        offline.ErasedEvents.ShouldBe(erased.Events);

        // A second run finds nothing more to do.
        (await admin.RunAuditRetentionAsync(dryRun: false)).Erasures.ShouldBeEmpty();
    }

    [Fact]
    public async Task LegalHold_StopsErasure_OfTheOrgAndItsMembersSiteEvents_UntilReleased()
    {
        await using var server = await StartAsync("sqlite");
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("held-team"));
        await admin.SetAuditRetentionAsync("default", 1);
        await admin.SetAuditRetentionAsync(null, 1);
        var hold = await admin.PlaceLegalHoldAsync("default", "Matter 2026-17: preserve everything");
        hold.Active.ShouldBeTrue();
        server.Time.Advance(TimeSpan.FromDays(2));

        // The org is held and the admin (who did everything so far) is its member: neither the org's events nor the
        // admin's site-level ones go. Only site events of no held member (the bootstrap's system actor) may.
        var held = await admin.RunAuditRetentionAsync(dryRun: false);
        held.Erasures.ShouldNotContain(e => e.Org != "_site");
        (await BodiesAsync(server)).ShouldContain(b => b.Contains("held-team"));
        var shown = await admin.GetAuditRetentionAsync("default");
        shown.Holds.ShouldHaveSingleItem().Reason.ShouldBe("Matter 2026-17: preserve everything");

        var released = await admin.ReleaseLegalHoldAsync("default", hold.Id);
        released.Active.ShouldBeFalse();
        released.ReleasedBy.ShouldBe("admin");
        (await admin.ReleaseLegalHoldAsync("default", hold.Id)).Active.ShouldBeFalse();
        server.Time.Advance(TimeSpan.FromDays(2));
        var run = await admin.RunAuditRetentionAsync(dryRun: false);
        run.Erasures.ShouldContain(e => e.Org != "_site" && e.Applied);
        (await BodiesAsync(server)).ShouldNotContain(b => b.Contains("held-team"));
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();

        // A site-wide hold stops everything.
        await admin.CreateTeamAsync("default", new CreateTeamRequest("late-team"));
        await admin.PlaceLegalHoldAsync(null, "Regulator inquiry");
        server.Time.Advance(TimeSpan.FromDays(2));
        (await admin.RunAuditRetentionAsync(dryRun: false)).Erasures.ShouldBeEmpty();
        (await BodiesAsync(server)).ShouldContain(b => b.Contains("late-team"));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AnErasureInterruptedAfterItsRecord_LeavesAVerifiableLedger_AndTheNextRunFinishesIt(string engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("interrupted-team"));
        await admin.SetAuditRetentionAsync("default", 1);
        await admin.CheckpointAuditAsync();
        server.Time.Advance(TimeSpan.FromDays(2));

        // What a crash between the durable record and the erasure's transaction leaves: the record, nothing erased.
        var ledger = server.Host.App.Services.GetRequiredService<Warden.Server.Audit.AuditLedger>();
        var store = server.Host.App.Services.GetRequiredService<Warden.Data.Audit.AuditRetentionStore>();
        var plan = (await store.PlanErasuresAsync(server.Time.GetUtcNow(), ledger.LastSequence)).ShouldHaveSingleItem();
        var record = await ledger.AppendAsync(new AuditEventDraft
        {
            OrgId = plan.OrgId,
            Actor = new AuditActor(Warden.Audit.ActorKind.System, "system:audit-retention", "audit-retention"),
            Action = AuditActions.RetentionErase,
            Outcome = AuditOutcome.Success,
            Details = JsonSerializer.SerializeToElement(new
            {
                count = plan.Events.Count,
                first_seq = plan.Events[0].Sequence,
                last_seq = plan.Events[^1].Sequence,
                digest = ErasureAccounting.ComputeDigest(plan.Events),
            }),
        });
        await ledger.CheckpointAsync();
        var report = await admin.VerifyAuditAsync();
        report.Intact.ShouldBeTrue(report.Problem);
        report.ErasedEvents.ShouldBe(0);

        // The next run plans afresh and erases the same events under a record of its own.
        var run = await admin.RunAuditRetentionAsync(dryRun: false);
        var erased = run.Erasures.ShouldHaveSingleItem();
        erased.Applied.ShouldBeTrue();
        erased.RecordSequence.ShouldNotBe(record.Sequence);
        erased.Events.ShouldBe(plan.Events.Count);
        (await BodiesAsync(server)).ShouldNotContain(b => b.Contains("interrupted-team"));
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task RetentionSettings_NeedTheRightRole_AndRejectBadInput()
    {
        await using var server = await StartAsync("sqlite");
        using var admin = server.Client();
        await admin.CreateUserAsync("default", new CreateUserRequest("aud", Role: "auditor", Password: "auditor password"));
        await admin.CreateUserAsync("default", new CreateUserRequest("mem", Role: "member", Password: "member password!"));
        using var auditor = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "aud", "auditor password"));
        using var member = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "mem", "member password!"));

        (await Should.ThrowAsync<WardenApiException>(() => admin.SetAuditRetentionAsync("default", 0))).Status.ShouldBe(400);
        (await Should.ThrowAsync<WardenApiException>(() => admin.SetAuditRetentionAsync("default", 40_000))).Status.ShouldBe(400);
        (await Should.ThrowAsync<WardenApiException>(() => admin.PlaceLegalHoldAsync("default", "  "))).Status.ShouldBe(400);
        (await Should.ThrowAsync<WardenApiException>(() => admin.ReleaseLegalHoldAsync("default", "hold_nope"))).Status.ShouldBe(404);
        (await Should.ThrowAsync<WardenApiException>(() => admin.GetAuditRetentionAsync("no-such-org"))).Status.ShouldBe(404);

        // Auditors may see retention and place a hold, not change the period or lift a hold.
        (await auditor.GetAuditRetentionAsync("default")).Days.ShouldBeNull();
        var hold = await auditor.PlaceLegalHoldAsync("default", "Audit fieldwork");
        hold.CreatedBy.ShouldBe("aud");
        (await Should.ThrowAsync<WardenApiException>(() => auditor.SetAuditRetentionAsync("default", 90))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(() => auditor.ReleaseLegalHoldAsync("default", hold.Id))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(() => auditor.RunAuditRetentionAsync(dryRun: true))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(() => auditor.GetAuditRetentionAsync(null))).Status.ShouldBe(403);

        // Members see nothing of it.
        (await Should.ThrowAsync<WardenApiException>(() => member.GetAuditRetentionAsync("default"))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(() => member.PlaceLegalHoldAsync("default", "x"))).Status.ShouldBe(403);

        // Every change is on the record.
        var actions = (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "audit.*" })).Events.Select(e => e.Action).ToList();
        actions.ShouldContain("audit.hold.place");
        actions.ShouldNotContain("audit.retention.set");
        await admin.SetAuditRetentionAsync("default", 400);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "audit.retention.set" })).Events.ShouldHaveSingleItem()
            .Record.GetProperty("details").GetProperty("days").GetString().ShouldBe("400");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AFullyErasedPrefix_IsPruned_AndTheRestVerifiesFromTheCheckpointBeforeIt(string engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Client();
        for (var i = 0; i < 5; i++)
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"gone-{i}"));
        }

        await admin.SetAuditRetentionAsync("default", 7);
        await admin.SetAuditRetentionAsync(null, 7);
        await admin.CheckpointAuditAsync();
        server.Time.Advance(TimeSpan.FromDays(8));
        await admin.CreateTeamAsync("default", new CreateTeamRequest("kept"));

        var run = await admin.RunAuditRetentionAsync(dryRun: false);
        run.CompactedThrough.ShouldNotBeNull();
        run.PrunedThrough.ShouldBe(run.CompactedThrough!.Value);
        await using (var c = await server.Db.Connections.OpenAsync())
        {
            (await c.ExecuteScalarAsync<long>("SELECT MIN(seq) FROM audit_events")).ShouldBe(run.PrunedThrough + 1);
        }

        var report = await admin.VerifyAuditAsync();
        report.Intact.ShouldBeTrue(report.Problem);
        report.PrunedThrough.ShouldBe(run.PrunedThrough);
        var offline = await VerifyExportAsync(admin);
        offline.IsIntact.ShouldBeTrue(offline.Problem?.Message);
        offline.PrunedThrough.ShouldBe(run.PrunedThrough);
        (await BodiesAsync(server)).ShouldContain(b => b.Contains("kept"));

        // The ledger carries on after pruning.
        await admin.CreateTeamAsync("default", new CreateTeamRequest("after"));
        await admin.CheckpointAuditAsync();
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ContentRemovedOutsideRetention_IsDetected(string engine)
    {
        await using var server = await StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateOrgAsync(new CreateOrgRequest("acme"));
        for (var i = 0; i < 4; i++)
        {
            await admin.CreateTeamAsync("acme", new CreateTeamRequest($"a-{i}"));
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"d-{i}"));
        }

        await admin.SetAuditRetentionAsync("acme", 30);
        server.Time.Advance(TimeSpan.FromDays(31));
        var run = await admin.RunAuditRetentionAsync(dryRun: false);
        var record = run.Erasures.ShouldHaveSingleItem().RecordSequence!.Value;
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
        await using var c = await server.Db.Connections.OpenAsync();
        var victim = await c.ExecuteScalarAsync<long>("SELECT MIN(seq) FROM audit_events WHERE action = 'team.create' AND erased_by IS NULL");
        victim.ShouldBeGreaterThan(0);
        await c.ExecuteAsync("CREATE TABLE audit_backup AS SELECT * FROM audit_events");

        // Each attack is committed, verified by the server, then undone from the copy.
        async Task<AuditVerificationDto> AfterAsync(string sql, object? args = null)
        {
            await c.ExecuteAsync(sql, args);
            var result = await admin.VerifyAuditAsync();
            await c.ExecuteAsync("DELETE FROM audit_events; INSERT INTO audit_events SELECT * FROM audit_backup; DELETE FROM settings WHERE key = 'audit.pruned_through'");
            return result;
        }

        // Erasing another org's event and naming the real record: the record's count and digest do not match.
        var forged = await AfterAsync("UPDATE audit_events SET body = @e, erased_by = @record WHERE seq = @victim", new { e = Array.Empty<byte>(), record, victim });
        forged.ProblemKind.ShouldBe("Unrecorded");
        // Naming a record that does not exist.
        (await AfterAsync("UPDATE audit_events SET body = @e, erased_by = @victim + 1 WHERE seq = @victim", new { e = Array.Empty<byte>(), victim })).ProblemKind.ShouldBe("Unrecorded");
        // Changing an erased event's stated hash breaks the link from the event after it.
        (await AfterAsync("UPDATE audit_events SET hash = prev_hash WHERE seq = (SELECT MIN(seq) FROM audit_events WHERE erased_by IS NOT NULL)")).Intact.ShouldBeFalse();
        // Pruning a prefix nobody recorded, even exactly at a checkpoint.
        var checkpoint = await c.ExecuteScalarAsync<long>("SELECT MIN(to_seq) FROM audit_checkpoints WHERE to_seq >= 2");
        var pruned = await AfterAsync(
            "DELETE FROM audit_events WHERE seq <= @checkpoint; INSERT INTO settings (key, value) VALUES ('audit.pruned_through', @v)",
            new { checkpoint, v = checkpoint.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        pruned.Intact.ShouldBeFalse();
        pruned.ProblemKind.ShouldBe("Unrecorded");
        // Claiming a pruned prefix that ends between checkpoints.
        (await AfterAsync("DELETE FROM audit_events WHERE seq <= 2; INSERT INTO settings (key, value) VALUES ('audit.pruned_through', '2')")).Intact.ShouldBeFalse();

        // Appending a retention record of one's own, properly hash-chained, and erasing what it names: no signed
        // checkpoint covers the record, so it accounts for nothing.
        var head = await c.QuerySingleAsync<(long Seq, byte[] Hash)>("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
        var victimHash = new AuditHash(await c.ExecuteScalarAsync<byte[]>("SELECT hash FROM audit_events WHERE seq = @victim", new { victim }));
        var fake = new AuditEvent
        {
            Sequence = head.Seq + 1,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(server.Time.GetUtcNow().ToUnixTimeMilliseconds()),
            OrgId = "_site",
            Actor = new AuditActor(Warden.Audit.ActorKind.System, "system:audit-retention", "audit-retention"),
            Source = AuditSource.Warden,
            Action = "audit.retention.erase",
            Outcome = AuditOutcome.Success,
            Details = JsonSerializer.SerializeToElement(new { count = 1, first_seq = victim, last_seq = victim, digest = ErasureAccounting.ComputeDigest([(victim, victimHash)]) }),
            PreviousHash = new AuditHash(head.Hash),
            Hash = default,
        };
        fake = fake with { Hash = AuditCanonicalJson.ComputeEventHash(fake) };
        var selfRecorded = await AfterAsync(
            "INSERT INTO audit_events (seq, ts, org_id, actor_kind, actor_id, action, vendor, outcome, prev_hash, hash, body) " +
            "VALUES (@seq, @ts, '_site', 'system', 'system:audit-retention', 'audit.retention.erase', 'warden', 'success', @prev, @hash, @body); " +
            "UPDATE audit_events SET body = @e, erased_by = @seq WHERE seq = @victim",
            new { seq = fake.Sequence, ts = fake.Timestamp.ToUnixTimeMilliseconds(), prev = head.Hash, hash = fake.Hash.ToArray(), body = AuditCanonicalJson.EncodeEvent(fake), e = Array.Empty<byte>(), victim });
        selfRecorded.ProblemKind.ShouldBe("Unrecorded", selfRecorded.Problem);

        // Untouched, it still verifies.
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }
}
