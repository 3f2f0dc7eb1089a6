using System.Security.Cryptography;
using Dapper;
using Warden.Audit;
using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>The ledger on SQLite and PostgreSQL: durable group commit, and attacks on the stored rows.</summary>
public sealed class AuditStoreTests
{
    private sealed class Ledger : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required SqlAuditLedgerStore Store { get; init; }
        public required AuditWriter Writer { get; init; }
        public required string LedgerId { get; init; }
        public required AuditPublicKeySet Keys { get; init; }

        public static async Task<Ledger> CreateAsync(string engine, int checkpointEvery = 10)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(db.Connections);
            var keyStore = new AuditKeyStore(db.Connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System);
            var keyring = await keyStore.LoadOrCreateAsync();
            var store = new SqlAuditLedgerStore(db.Connections);
            var writer = await AuditWriter.StartAsync(store, new AuditWriterOptions { LedgerId = ledgerId, CheckpointEveryEvents = checkpointEvery, CheckpointInterval = TimeSpan.FromHours(1) }, keyring);
            return new Ledger { Db = db, Store = store, Writer = writer, LedgerId = ledgerId, Keys = new AuditPublicKeySet(keyring.PublicKeys) };
        }

        public Task<VerificationReport> VerifyAsync() => StoreVerifier.VerifyAsync(Store, LedgerId, Keys);

        public async Task ExecAsync(string sql, object? args = null)
        {
            await using var c = await Db.Connections.OpenAsync();
            await c.ExecuteAsync(sql, args);
        }

        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    private static AuditEventDraft Draft(int i) => new()
    {
        OrgId = "org_test",
        Actor = new AuditActor(Warden.Audit.ActorKind.User, $"usr_{i % 3}", "tester"),
        Action = i % 2 == 0 ? "team.create" : "token.create",
        Resource = new AuditResource("team", $"t{i}"),
        Details = AuditDrafts.Details(new Dictionary<string, string?> { ["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
    };

    private static async Task<Ledger> FilledAsync(string engine, int count)
    {
        var ledger = await Ledger.CreateAsync(engine);
        await Task.WhenAll(Enumerable.Range(1, count).Select(i => ledger.Writer.AppendAsync(Draft(i))));
        await ledger.Writer.CheckpointAsync();
        return ledger;
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ConcurrentAppends_AreAllStoredChainedAndCheckpointed(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine, checkpointEvery: 50);
        var written = await Task.WhenAll(Enumerable.Range(1, 300).Select(i => ledger.Writer.AppendAsync(Draft(i))));
        await ledger.Writer.CheckpointAsync();

        written.Select(e => e.Sequence).Order().ShouldBe(Enumerable.Range(1, 300).Select(i => (long)i));
        var report = await ledger.VerifyAsync();
        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(300);
        // Checkpoints fall on batch boundaries, so how many depends on batching; the last one anchors everything.
        report.CheckpointsVerified.ShouldBeGreaterThanOrEqualTo(1);
        report.UnanchoredEvents.ShouldBe(0);
        var read = new List<AuditEvent>();
        await foreach (var e in ledger.Store.ReadEventsAsync(1, 300))
        {
            read.Add(e);
        }

        read.Select(e => e.Hash).ShouldBe(written.OrderBy(e => e.Sequence).Select(e => e.Hash));
        // An event reads back exactly as written: byte for byte in the canonical encoding the hash covers.
        AuditCanonicalJson.EncodeEvent(read[41]).ShouldBe(AuditCanonicalJson.EncodeEvent(written.Single(e => e.Sequence == 42)));
        read[41].Timestamp.ShouldBe(written.Single(e => e.Sequence == 42).Timestamp);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SqlStore_PassesTheLedgerStoreContractChecks(string engine)
    {
        var databases = new List<TestDatabase>();
        try
        {
            var failures = await Warden.Audit.Storage.AuditLedgerStoreConformance.CheckAsync(async () =>
            {
                var db = await TestDatabase.CreateAsync(engine);
                databases.Add(db);
                await new MigrationRunner(db.Connections).MigrateAsync();
                return new SqlAuditLedgerStore(db.Connections);
            });

            failures.ShouldBeEmpty();
        }
        finally
        {
            foreach (var db in databases)
            {
                await db.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Append_ThatDoesNotContinueTheChain_IsRefusedAndWritesNothing(string engine)
    {
        await using var ledger = await FilledAsync(engine, 5);
        var last = new List<AuditEvent>();
        await foreach (var e in ledger.Store.ReadEventsAsync(5, 5))
        {
            last.Add(e);
        }

        var replay = last[0];
        await Should.ThrowAsync<Warden.Audit.Storage.AuditStoreConflictException>(ledger.Store.AppendAsync([replay]).AsTask());
        await Should.ThrowAsync<Warden.Audit.Storage.AuditStoreConflictException>(ledger.Store.AppendAsync([replay with { Sequence = 6, PreviousHash = AuditHash.Zero }]).AsTask());
        (await ledger.Store.GetHeadAsync())!.LastSequence.ShouldBe(5);
    }

    public static TheoryData<string, string> Attacks()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in new[] { "sqlite", "postgres" })
        {
            foreach (var attack in new[] { "modify", "delete", "insert", "swap", "truncate", "signature", "rehash" })
            {
                data.Add(engine, attack);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Verify_DetectsTamperingWithStoredRows(string engine, string attack)
    {
        await using var ledger = await FilledAsync(engine, 30);
        (await ledger.VerifyAsync()).IsIntact.ShouldBeTrue();
        // Stop the writer so the attacker's edits are the last word.
        await ledger.Writer.DisposeAsync();

        long? expectedAt = null;
        VerificationProblemKind? expectedKind = null;
        switch (attack)
        {
            case "modify":
                // Flip one character of the stored canonical body of event 12: "team.create" becomes "team.creatf".
                await using (var c = await ledger.Db.Connections.OpenAsync())
                {
                    var body = await c.ExecuteScalarAsync<byte[]>("SELECT body FROM audit_events WHERE seq = 12");
                    var i = Array.LastIndexOf(body!, (byte)'e');
                    body![i] = (byte)'f';
                    await c.ExecuteAsync("UPDATE audit_events SET body = @body WHERE seq = 12", new { body });
                }

                expectedAt = 12;
                break;
            case "delete":
                await ledger.ExecAsync("DELETE FROM audit_events WHERE seq = 7");
                expectedAt = 7;
                break;
            case "insert":
                // Make room at 9 and put a copy of event 3 there, renumbered.
                await ledger.ExecAsync("UPDATE audit_events SET seq = seq + 1000 WHERE seq >= 9");
                await ledger.ExecAsync("UPDATE audit_events SET seq = seq - 999 WHERE seq >= 1009");
                await ledger.ExecAsync(
                    "INSERT INTO audit_events SELECT 9, ts, org_id, actor_kind, actor_id, action, resource_type, resource_id, session_id, vendor, outcome, prev_hash, hash, body, erased_by FROM audit_events WHERE seq = 3");
                expectedAt = 9;
                break;
            case "swap":
                await ledger.ExecAsync("UPDATE audit_events SET seq = -5 WHERE seq = 5");
                await ledger.ExecAsync("UPDATE audit_events SET seq = 5 WHERE seq = 6");
                await ledger.ExecAsync("UPDATE audit_events SET seq = 6 WHERE seq = -5");
                expectedAt = 5;
                break;
            case "truncate":
                await ledger.ExecAsync("DELETE FROM audit_events WHERE seq > 25");
                expectedKind = VerificationProblemKind.TruncatedTail;
                break;
            case "signature":
                await using (var c = await ledger.Db.Connections.OpenAsync())
                {
                    var to = await c.ExecuteScalarAsync<long>("SELECT MIN(to_seq) FROM audit_checkpoints");
                    var sig = await c.ExecuteScalarAsync<byte[]>("SELECT signature FROM audit_checkpoints WHERE to_seq = @to", new { to });
                    sig![10] ^= 0xFF;
                    await c.ExecuteAsync("UPDATE audit_checkpoints SET signature = @sig WHERE to_seq = @to", new { sig, to });
                }

                expectedKind = VerificationProblemKind.BadCheckpointSignature;
                break;
            case "rehash":
                await RewriteHistoryAsync(ledger, fromSequence: 14);
                break;
        }

        var report = await ledger.VerifyAsync();

        report.IsIntact.ShouldBeFalse($"{attack} went unnoticed");
        if (expectedAt is not null)
        {
            report.Problem!.Sequence.ShouldBe(expectedAt.Value, report.Problem.Message);
        }

        if (expectedKind is not null)
        {
            report.Problem!.Kind.ShouldBe(expectedKind.Value, report.Problem.Message);
        }
    }

    /// <summary>
    /// The strongest attacker without the signing key: edits event <paramref name="fromSequence"/> and recomputes every
    /// hash after it, so the chain itself is consistent again. Only the signed checkpoints can catch this.
    /// </summary>
    private static async Task RewriteHistoryAsync(Ledger ledger, long fromSequence)
    {
        var events = new List<AuditEvent>();
        await foreach (var e in ledger.Store.ReadEventsAsync(1, long.MaxValue))
        {
            events.Add(e);
        }

        await using var c = await ledger.Db.Connections.OpenAsync();
        var previous = events[(int)fromSequence - 2].Hash;
        foreach (var e in events.Where(e => e.Sequence >= fromSequence))
        {
            var forged = (e.Sequence == fromSequence ? e with { Action = "nothing.to.see" } : e) with { PreviousHash = previous };
            var body = AuditCanonicalJson.EncodeEvent(forged);
            var hash = AuditCanonicalJson.ComputeEventHash(previous, body);
            await c.ExecuteAsync("UPDATE audit_events SET body = @body, prev_hash = @prev, hash = @hash, action = @Action WHERE seq = @Sequence",
                new { body, prev = previous.ToArray(), hash = hash.ToArray(), forged.Action, e.Sequence });
            previous = hash;
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Keys_AreSealedUnderTheMasterKeyAndRotate(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var masterKey = RandomNumberGenerator.GetBytes(32);
        var keys = new AuditKeyStore(db.Connections, new SecretBox(masterKey), TimeProvider.System);

        var first = await keys.LoadOrCreateAsync();
        var again = await keys.LoadOrCreateAsync();
        var rotated = await keys.RotateAsync();

        again.Active.KeyId.ShouldBe(first.Active.KeyId);
        rotated.Active.KeyId.ShouldNotBe(first.Active.KeyId);
        rotated.TryGetPublicKey(first.Active.KeyId, out _).ShouldBeTrue("old checkpoints stay verifiable");
        (await AuditKeyStore.PublicOnly(db.Connections).ListPublicAsync()).Select(k => k.RetiredAt is null).ShouldBe([true, false]);
        await using var c = await db.Connections.OpenAsync();
        var pkcs8 = Convert.ToBase64String(rotated.Active.ExportPkcs8PrivateKey());
        var stored = (await c.QueryAsync<string?>("SELECT private_key_sealed FROM audit_keys")).ToList();
        stored.Count(s => s is not null).ShouldBe(1, "a retired key keeps no private half");
        var pkcs8Head = pkcs8[..20];
        stored.ShouldAllBe(s => s == null || !s.Contains(pkcs8Head));
        await Should.ThrowAsync<CryptographicException>(new AuditKeyStore(db.Connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System).LoadOrCreateAsync());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Query_PagesAnOrgsTrail_OwnAndMembersSiteEvents_InSequenceOrder_BothWays_WithFilters(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var time = new FakeTime();
        var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
        var admin = (await new TokenStore(db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
        await new OrgStore(db.Connections, time).CreateAsync(admin, "acme", null);
        await new UserStore(db.Connections, time).CreateAsync(admin, "default", new NewUser("ada", Role: "member"));
        await new UserStore(db.Connections, time).CreateAsync(admin, "acme", new NewUser("bob", Role: "member"));
        var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(db.Connections);
        await using var writer = await AuditWriter.StartAsync(new SqlAuditLedgerStore(db.Connections), new AuditWriterOptions { LedgerId = ledgerId }, null, time);
        string defaultId, acmeId, adaId, bobId;
        await using (var c = await db.Connections.OpenAsync())
        {
            defaultId = await c.ExecuteScalarAsync<string>("SELECT id FROM orgs WHERE name = 'default'") ?? "";
            acmeId = await c.ExecuteScalarAsync<string>("SELECT id FROM orgs WHERE name = 'acme'") ?? "";
            adaId = await c.ExecuteScalarAsync<string>("SELECT id FROM users WHERE name = 'ada'") ?? "";
            bobId = await c.ExecuteScalarAsync<string>("SELECT id FROM users WHERE name = 'bob'") ?? "";
        }

        // Interleaved: the org's own events, its member's site-level events, another org's, a non-member's site events;
        // time moves in steps so several events share a millisecond.
        var expected = new List<(long Seq, string Action)>();
        for (var i = 0; i < 90; i++)
        {
            var (org, actor) = (i % 5) switch { 0 or 3 => (defaultId, adaId), 1 => (AuditDrafts.SiteOrg, adaId), 2 => (acmeId, bobId), _ => (AuditDrafts.SiteOrg, bobId) };
            var action = i % 2 == 0 ? "team.create" : "auth.login";
            var e = await writer.AppendAsync(new AuditEventDraft
            {
                OrgId = org,
                Actor = new AuditActor(Warden.Audit.ActorKind.User, actor, actor),
                Action = action,
                Resource = new AuditResource("team", "t" + i),
            });
            if (org == defaultId || (org == AuditDrafts.SiteOrg && actor == adaId))
            {
                expected.Add((e.Sequence, action));
            }

            if (i % 4 == 0)
            {
                time.Advance(TimeSpan.FromMilliseconds(1));
            }
        }

        var query = new AuditQueryStore(db.Connections);
        async Task<List<long>> PageAllAsync(AuditQuery first, bool ascending)
        {
            var seen = new List<long>();
            var q = first;
            while (true)
            {
                var page = await query.SearchAsync(admin, "default", q);
                seen.AddRange(page.Events.Select(e => e.Sequence));
                if (ascending)
                {
                    if (page.Events.Count < q.Limit)
                    {
                        return seen;
                    }

                    q = q with { After = page.Events[^1].Sequence };
                }
                else
                {
                    if (page.NextCursor is not { } next)
                    {
                        return seen;
                    }

                    q = q with { Before = next };
                }
            }
        }

        var newestFirst = await PageAllAsync(new AuditQuery { Limit = 4 }, ascending: false);
        var oldestFirst = await PageAllAsync(new AuditQuery { Limit = 4, After = 0 }, ascending: true);
        var logins = await PageAllAsync(new AuditQuery { Limit = 3, Action = "auth.*" }, ascending: false);
        var window = await query.SearchAsync(admin, "default", new AuditQuery { Limit = 1000, Before = expected[^5].Seq, After = null });

        newestFirst.ShouldBe(expected.Select(e => e.Seq).Reverse().ToList());
        oldestFirst.ShouldBe(expected.Select(e => e.Seq).ToList());
        logins.ShouldBe(expected.Where(e => e.Action == "auth.login").Select(e => e.Seq).Reverse().ToList());
        window.Events.Select(e => e.Sequence).ShouldBe(expected.Select(e => e.Seq).Where(s => s < expected[^5].Seq).Reverse().ToList());
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Query_ScopesAnOrgsTrailAndChecksRoles(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var time = new FakeTime();
        var adminToken = await new Bootstrapper(db.Connections, time).EnsureAsync("default", "admin");
        var tokens = new TokenStore(db.Connections, time);
        var admin = (await tokens.AuthenticateAsync(adminToken!)).Actor!;
        var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(db.Connections);
        var keyring = await new AuditKeyStore(db.Connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), time).LoadOrCreateAsync();
        await using var writer = await AuditWriter.StartAsync(new SqlAuditLedgerStore(db.Connections), new AuditWriterOptions { LedgerId = ledgerId }, keyring, time);
        var recorder = new WriterRecorder(writer);
        var orgs = new OrgStore(db.Connections, time, recorder);
        var users = new UserStore(db.Connections, time, recorder);
        var teams = new TeamStore(db.Connections, time, recorder);
        var auditedTokens = new TokenStore(db.Connections, time, recorder);
        await orgs.CreateAsync(admin, "acme", null);
        await users.CreateAsync(admin, "default", new NewUser("aud", Role: "auditor"));
        await users.CreateAsync(admin, "default", new NewUser("mem", Role: "member"));
        await teams.CreateAsync(admin, "default", "platform", null, null);
        await teams.CreateAsync(admin, "acme", "rockets", null, null);
        await auditedTokens.CreateAsync(admin, "ci", null);
        var auditor = await ActorAsync(db, tokens, "aud");
        var member = await ActorAsync(db, tokens, "mem");
        var query = new AuditQueryStore(db.Connections);

        var trail = await query.SearchAsync(auditor, "default", new AuditQuery());
        var acme = await query.SearchAsync(admin, "acme", new AuditQuery());
        var all = await query.SearchAsync(admin, null, new AuditQuery());
        var page1 = await query.SearchAsync(auditor, "default", new AuditQuery { Limit = 2 });
        var page2 = await query.SearchAsync(auditor, "default", new AuditQuery { Limit = 2, Before = page1.NextCursor });
        var tokenEvents = await query.SearchAsync(auditor, "default", new AuditQuery { Action = "token.*" });

        trail.Events.Select(e => e.Action).ShouldBe(["token.create", "team.create", "user.create", "user.create"]);
        trail.Events.ShouldNotContain(e => e.Resource!.Id == "rockets");
        acme.Events.Select(e => e.Resource!.Id).ShouldContain("rockets");
        all.Events.Count.ShouldBe(6);
        page1.Events.Concat(page2.Events).Select(e => e.Sequence).ShouldBe(trail.Events.Select(e => e.Sequence));
        tokenEvents.Events.Single().Actor.Id.ShouldBe(admin.UserId);
        (await Should.ThrowAsync<WardenException>(query.SearchAsync(member, "default", new AuditQuery()))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(query.SearchAsync(auditor, "acme", new AuditQuery()))).Kind.ShouldBe(WardenErrorKind.NotFound);
        (await Should.ThrowAsync<WardenException>(query.SearchAsync(auditor, null, new AuditQuery()))).Kind.ShouldBe(WardenErrorKind.Forbidden);
        (await Should.ThrowAsync<WardenException>(query.SearchAsync(admin, "default", new AuditQuery { Limit = 0 }))).Kind.ShouldBe(WardenErrorKind.Validation);
    }

    private static async Task<Actor> ActorAsync(TestDatabase db, TokenStore tokens, string name)
    {
        await using var c = await db.Connections.OpenAsync();
        var id = await c.ExecuteScalarAsync<string>("SELECT id FROM users WHERE name = @name", new { name });
        var created = await tokens.CreateAsync(new Actor(Identity.ActorKind.User, id!, name, false), "t", null);
        return (await tokens.AuthenticateAsync(created.Secret)).Actor!;
    }

    private sealed class WriterRecorder(AuditWriter writer) : IAuditRecorder
    {
        public Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default) => writer.AppendAsync(draft, cancellationToken);
    }
}
