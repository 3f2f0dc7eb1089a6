using System.Data.Common;
using System.Security.Cryptography;
using Dapper;
using Warden.Audit;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;
using Warden.Data.Sessions;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>
/// Audit events and another store's write committed in one transaction (<see cref="AuditWriter.AppendWithAsync"/>
/// through the write-queued SQL store, as the server runs it), on both engines: both are written or neither, a failing
/// companion fails only its own caller, and the chain stays intact.
/// </summary>
public sealed class AuditCompanionTests
{
    private sealed class Ledger : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required SqlAuditLedgerStore Store { get; init; }
        public required AuditWriter Writer { get; init; }
        public required string LedgerId { get; init; }
        public required AuditPublicKeySet Keys { get; init; }

        public static async Task<Ledger> CreateAsync(string engine)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(db.Connections);
            var keyring = await new AuditKeyStore(db.Connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System).LoadOrCreateAsync();
            var store = new SqlAuditLedgerStore(db.Connections);
            var writer = await AuditWriter.StartAsync(new WriteQueuedLedgerStore(store, db.Connections),
                new AuditWriterOptions { LedgerId = ledgerId, CheckpointEveryEvents = 25, CheckpointInterval = TimeSpan.FromHours(1) }, keyring);
            return new Ledger { Db = db, Store = store, Writer = writer, LedgerId = ledgerId, Keys = new AuditPublicKeySet(keyring.PublicKeys) };
        }

        public async Task<VerificationReport> VerifyAsync()
        {
            await Writer.CheckpointAsync();
            return await StoreVerifier.VerifyAsync(Store, LedgerId, Keys);
        }

        public async Task<List<string>> ActionsAsync()
        {
            var actions = new List<string>();
            await foreach (var e in Store.ReadEventsAsync(1, long.MaxValue))
            {
                actions.Add(e.Action);
            }

            return actions;
        }

        public async Task<List<string>> SettingsAsync(string prefix)
        {
            await using var c = await Db.Connections.OpenAsync();
            return (await c.QueryAsync<string>("SELECT key FROM settings WHERE key LIKE @p ORDER BY key", new { p = prefix + "%" })).ToList();
        }

        public async ValueTask DisposeAsync()
        {
            await Writer.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    private static AuditEventDraft Draft(string action, int i) => new()
    {
        OrgId = "org_test",
        Actor = new AuditActor(Warden.Audit.ActorKind.User, "usr_1", "tester"),
        Action = action,
        Resource = new AuditResource("thing", "t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static SqlAuditCompanion<int> Setting(string key, bool thenFail = false) => new(async (connection, tx) =>
    {
        var rows = await connection.ExecuteAsync("INSERT INTO settings (key, value) VALUES (@key, 'x')", new { key }, tx);
        return thenFail ? throw new InvalidOperationException("the companion failed after writing") : rows;
    });

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AppendWith_CommitsTheCompanionAndTheEventsTogether_BesideOtherAppends_AndTheChainVerifies(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);

        var plain = Enumerable.Range(1, 40).Select(i => ledger.Writer.AppendAsync(Draft("plain.event", i)));
        var companions = Enumerable.Range(1, 20).Select(async i =>
        {
            var companion = Setting($"test.companion.{i:D2}");
            var written = await ledger.Writer.AppendWithAsync([Draft("with.decision", i), Draft("with.other", i)], companion);
            companion.Result.ShouldBe(1, "the companion ran and its result is the caller's");
            written.Count.ShouldBe(2);
            written[1].Sequence.ShouldBe(written[0].Sequence + 1, "a group's events are contiguous");
            return written;
        });
        await Task.WhenAll(plain);
        await Task.WhenAll(companions);

        (await ledger.SettingsAsync("test.companion.")).Count.ShouldBe(20);
        var actions = await ledger.ActionsAsync();
        actions.Count(a => a == "plain.event").ShouldBe(40);
        actions.Count(a => a == "with.decision").ShouldBe(20);
        var report = await ledger.VerifyAsync();
        report.IsIntact.ShouldBeTrue(report.Problem?.ToString());
        report.EventsVerified.ShouldBe(80);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AFailingCompanion_WritesNeitherItsRowNorItsEvents_AndOnlyItsCallerHearsIt(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);

        // Queued together so that most land in the failing companion's batch, which is written again without it.
        var others = Enumerable.Range(1, 30).Select(i => ledger.Writer.AppendAsync(Draft("plain.event", i))).ToList();
        var failing = ledger.Writer.AppendWithAsync([Draft("doomed.decision", 0)], Setting("test.doomed", thenFail: true));
        var good = Enumerable.Range(1, 5).Select(i => ledger.Writer.AppendWithAsync([Draft("with.decision", i)], Setting($"test.good.{i}"))).ToList();

        (await Should.ThrowAsync<InvalidOperationException>(failing)).Message.ShouldBe("the companion failed after writing");
        await Task.WhenAll(others);
        await Task.WhenAll(good);

        (await ledger.SettingsAsync("test.doomed")).ShouldBeEmpty();
        (await ledger.SettingsAsync("test.good.")).Count.ShouldBe(5);
        var actions = await ledger.ActionsAsync();
        actions.ShouldNotContain("doomed.decision");
        actions.Count(a => a == "plain.event").ShouldBe(30);
        actions.Count(a => a == "with.decision").ShouldBe(5);
        ledger.Writer.LastSequence.ShouldBe(35);
        var report = await ledger.VerifyAsync();
        report.IsIntact.ShouldBeTrue(report.Problem?.ToString());
        report.EventsVerified.ShouldBe(35);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SessionAppend_WithAuditEvents_StoresTheEntriesAndTheEventsInOneWrite_OrNeither(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);
        var time = new FakeTime();
        var adminToken = await new Bootstrapper(ledger.Db.Connections, time).EnsureAsync("default", "admin");
        var admin = (await new TokenStore(ledger.Db.Connections, time).AuthenticateAsync(adminToken!)).Actor!;
        var recorder = new CompanionRecorder(ledger.Writer);
        var store = new AgentSessionStore(ledger.Db.Connections, time, recorder);
        var session = await store.CreateAsync(admin, "default", new SessionSpec("acme/api", "main", "Fix it"));

        var seqs = await store.AppendAsync(session.Id, [new SessionEntry(SessionEventKinds.Assistant, """{"n":1}"""), new SessionEntry(SessionEventKinds.Status, """{"n":2}""")],
            new SessionProgress { AddSteps = 1 }, [Draft("shell.exec", 1)]);

        seqs.ShouldBe([1L, 2L]);
        (await store.AllEventsAsync(session.Id)).Select(e => e.Data).ShouldBe(["""{"n":1}""", """{"n":2}"""]);
        (await store.LoadAsync(session.Id))!.Steps.ShouldBe(1);
        recorder.Combined.ShouldBe(1, "the entries travelled with the audit events");

        // A write that cannot be stored (no such session) takes its audit events with it.
        await Should.ThrowAsync<DbException>(store.AppendAsync("ses_missing", [new SessionEntry(SessionEventKinds.Assistant, "{}")], null, [Draft("file.write", 2)]));
        var actions = await ledger.ActionsAsync();
        actions.ShouldContain("shell.exec");
        actions.ShouldNotContain("file.write");
        (await ledger.VerifyAsync()).IsIntact.ShouldBeTrue();
    }

    /// <summary>The server's ledger in small: events and a store's write in one transaction.</summary>
    private sealed class CompanionRecorder(AuditWriter writer) : IAuditRecorder
    {
        public int Combined;

        public Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default) => writer.AppendAsync(draft, cancellationToken);

        public async Task<T> RecordWithAsync<T>(IReadOnlyList<AuditEventDraft> drafts, ConnectionFactory connections, Func<DbConnection, DbTransaction, Task<T>> work,
            CancellationToken cancellationToken = default)
        {
            var companion = new SqlAuditCompanion<T>(work);
            await writer.AppendWithAsync(drafts, companion, cancellationToken);
            Interlocked.Increment(ref Combined);
            return companion.Result;
        }
    }
}
