using System.Security.Cryptography;
using Dapper;
using Warden.Audit;
using Warden.Audit.Signing;
using Warden.Audit.Verification;
using Warden.Data.Audit;
using Warden.Data.Security;
using Warden.Testing;

namespace Warden.Data.Tests;

/// <summary>
/// The row reader behind <see cref="StoreVerifier"/> (native SQLite cursor, pooled chunk buffers): the rows it
/// reads are exactly the stored ones, across chunk boundaries, for bodies of any size, for erased rows, and tampering
/// is still reported at the right sequence.
/// </summary>
public sealed class AuditRowCursorTests
{
    // StoreVerifier reads 4,096 rows per chunk: this many events span two full chunks and a partial third.
    private const int AcrossChunks = 4096 * 2 + 17;

    private sealed class Ledger : IAsyncDisposable
    {
        public required TestDatabase Db { get; init; }
        public required SqlAuditLedgerStore Store { get; init; }
        public required AuditWriter Writer { get; init; }
        public required string LedgerId { get; init; }
        public required AuditPublicKeySet Keys { get; init; }

        public static async Task<Ledger> CreateAsync(string engine, int maxEventBytes = 64 * 1024)
        {
            var db = await TestDatabase.CreateAsync(engine);
            await new MigrationRunner(db.Connections).MigrateAsync();
            var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(db.Connections);
            var keyring = await new AuditKeyStore(db.Connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System).LoadOrCreateAsync();
            var store = new SqlAuditLedgerStore(db.Connections);
            var writer = await AuditWriter.StartAsync(store, new AuditWriterOptions
            {
                LedgerId = ledgerId,
                CheckpointEveryEvents = 1000,
                CheckpointInterval = TimeSpan.FromHours(1),
                MaxEventBytes = maxEventBytes,
            }, keyring);
            return new Ledger { Db = db, Store = store, Writer = writer, LedgerId = ledgerId, Keys = new AuditPublicKeySet(keyring.PublicKeys) };
        }

        public Task<VerificationReport> VerifyAsync() => StoreVerifier.VerifyAsync(Store, LedgerId, Keys);

        public async Task AppendAsync(int count, Func<int, AuditEventDraft>? draft = null)
        {
            await Task.WhenAll(Enumerable.Range(1, count).Select(i => Writer.AppendAsync((draft ?? Draft)(i))));
            await Writer.CheckpointAsync();
        }

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
        Actor = new AuditActor(ActorKind.User, $"usr_{i % 3}", "tester"),
        Action = "team.create",
        Resource = new AuditResource("team", $"t{i}"),
        Details = AuditDrafts.Details(new Dictionary<string, string?> { ["i"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }),
    };

    /// <summary>Every stored row through the cursor, copied, to compare with what the data reader returns.</summary>
    private static async Task<List<(long Seq, AuditHash Previous, AuditHash Hash, byte[] Body, long? ErasedBy)>> ReadWithCursorAsync(SqlAuditLedgerStore store)
    {
        var rows = new List<(long, AuditHash, AuditHash, byte[], long?)>();
        await using var cursor = await store.OpenRowCursorAsync(1, long.MaxValue);
        while (await cursor.ReadAsync(default))
        {
            rows.Add((cursor.Sequence, cursor.PreviousHash, cursor.Hash, cursor.Body.ToArray(), cursor.ErasedBy));
        }

        return rows;
    }

    private static async Task<List<(long Seq, AuditHash Previous, AuditHash Hash, byte[] Body, long? ErasedBy)>> ReadWithDataReaderAsync(SqlAuditLedgerStore store)
    {
        var rows = new List<(long, AuditHash, AuditHash, byte[], long?)>();
        await foreach (var row in store.ReadRowsAsync(1, long.MaxValue))
        {
            rows.Add((row.Sequence, new AuditHash(row.PreviousHash), new AuditHash(row.Hash), row.Body, row.ErasedBy));
        }

        return rows;
    }

    private static void ShouldBeTheSameRows(
        List<(long Seq, AuditHash Previous, AuditHash Hash, byte[] Body, long? ErasedBy)> actual,
        List<(long Seq, AuditHash Previous, AuditHash Hash, byte[] Body, long? ErasedBy)> expected)
    {
        actual.Count.ShouldBe(expected.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            actual[i].Seq.ShouldBe(expected[i].Seq);
            actual[i].Previous.ShouldBe(expected[i].Previous);
            actual[i].Hash.ShouldBe(expected[i].Hash);
            actual[i].ErasedBy.ShouldBe(expected[i].ErasedBy);
            actual[i].Body.SequenceEqual(expected[i].Body).ShouldBeTrue($"body of row {expected[i].Seq}");
        }
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Verify_ReadsEveryRowAcrossChunkBoundaries(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);
        await ledger.AppendAsync(AcrossChunks);

        var report = await ledger.VerifyAsync();

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(AcrossChunks);
        report.LastSequence.ShouldBe(AcrossChunks);
        report.UnanchoredEvents.ShouldBe(0);
        ShouldBeTheSameRows(await ReadWithCursorAsync(ledger.Store), await ReadWithDataReaderAsync(ledger.Store));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Verify_ReadsBodiesLargerThanTheChunkBuffer(string engine)
    {
        // StoreVerifier's chunks start with 2 MB of buffer: one body of 2.5 MB, and several of 600 KB that fill it
        // together, between small ones, so the buffer grows both for a single row and part-way through a chunk.
        await using var ledger = await Ledger.CreateAsync(engine, maxEventBytes: 3 * 1024 * 1024);
        var big = new string('x', 600 * 1024);
        var huge = new string('y', 2500 * 1024);
        await ledger.AppendAsync(40, i => i switch
        {
            7 => Draft(i) with { Details = AuditDrafts.Details(new Dictionary<string, string?> { ["output"] = huge }) },
            >= 20 and < 26 => Draft(i) with { Details = AuditDrafts.Details(new Dictionary<string, string?> { ["output"] = big }) },
            _ => Draft(i),
        });

        var report = await ledger.VerifyAsync();

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(40);
        var rows = await ReadWithCursorAsync(ledger.Store);
        rows.Max(r => r.Body.Length).ShouldBeGreaterThan(2500 * 1024);
        ShouldBeTheSameRows(rows, await ReadWithDataReaderAsync(ledger.Store));
    }

    [Fact]
    public void Chunk_GrowsItsBufferAndKeepsEveryRowsBytes()
    {
        using var chunk = new EncodedEventChunk(capacity: 8, initialBytes: 16);
        var bodies = Enumerable.Range(0, 8).Select(i => Enumerable.Range(0, 5 + (i * 37)).Select(b => (byte)(b + i)).ToArray()).ToArray();
        foreach (var (body, i) in bodies.Select((b, i) => (b, i)))
        {
            chunk.Add(i + 1, AuditHash.Compute([(byte)i]), AuditHash.Compute(body), body);
        }

        chunk.IsFull.ShouldBeTrue();
        chunk.BufferCapacity.ShouldBeGreaterThanOrEqualTo(bodies.Sum(b => b.Length));
        var events = chunk.Seal().ToArray();
        events.Select(e => e.Sequence).ShouldBe(Enumerable.Range(1, 8).Select(i => (long)i));
        for (var i = 0; i < bodies.Length; i++)
        {
            events[i].Canonical.ToArray().ShouldBe(bodies[i]);
            events[i].Hash.ShouldBe(AuditHash.Compute(bodies[i]));
        }

        // Reused after Clear: the next run starts at the beginning of the same buffer.
        chunk.Clear();
        chunk.Count.ShouldBe(0);
        chunk.Add(9, AuditHash.Zero, AuditHash.Zero, bodies[7]);
        chunk.Seal().Span[0].Canonical.ToArray().ShouldBe(bodies[7]);
        Should.Throw<InvalidOperationException>(() =>
        {
            for (var i = 0; i < 8; i++)
            {
                chunk.Add(10 + i, AuditHash.Zero, AuditHash.Zero, bodies[0]);
            }
        });
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Verify_AnEmptyLedgerIsIntact(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);

        var report = await ledger.VerifyAsync();

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(0);
        report.LastSequence.ShouldBe(0);
        (await ReadWithCursorAsync(ledger.Store)).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Verify_AccountsForErasedRowsAcrossAChunkBoundary(string engine)
    {
        await using var ledger = await Ledger.CreateAsync(engine);
        await ledger.AppendAsync(AcrossChunks);

        // As retention does: plan, append the erase record durably (and sign it), then erase. Rows 4090..4105 sit
        // on both sides of the first chunk boundary.
        var planned = (await ReadWithCursorAsync(ledger.Store)).Where(r => r.Seq is >= 4090 and <= 4105).Select(r => (r.Seq, r.Hash)).ToList();
        var plan = new ErasurePlan("org_test", 30, DateTimeOffset.UtcNow, planned);
        var record = await ledger.Writer.AppendAsync(new AuditEventDraft
        {
            OrgId = "org_test",
            Actor = new AuditActor(ActorKind.System, "system", "retention"),
            Action = AuditActions.RetentionErase,
            Resource = new AuditResource("audit_retention", "org_test"),
            Details = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["days"] = 30,
                ["cutoff"] = "2026-01-01T00:00:00.000Z",
                ["count"] = planned.Count,
                ["first_seq"] = planned[0].Seq,
                ["last_seq"] = planned[^1].Seq,
                ["digest"] = ErasureAccounting.ComputeDigest(planned),
            }),
        });
        await ledger.Writer.CheckpointAsync();
        var retention = new AuditRetentionStore(ledger.Db.Connections, TimeProvider.System);
        (await retention.EraseAsync(plan, record.Sequence)).ShouldBeTrue();

        var report = await ledger.VerifyAsync();
        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.ErasedEvents.ShouldBe(16);
        report.EventsVerified.ShouldBe(AcrossChunks - 16 + 1);
        var rows = await ReadWithCursorAsync(ledger.Store);
        rows.Count(r => r.ErasedBy == record.Sequence && r.Body.Length == 0).ShouldBe(16);
        ShouldBeTheSameRows(rows, await ReadWithDataReaderAsync(ledger.Store));

        // An erased row's place is still checked: a rewritten hash breaks the link from the row after it (or, when
        // a checkpoint happens to end at the row, the checkpoint's signed hash; checkpoints fall on batch ends).
        await ledger.Writer.DisposeAsync();
        await ledger.ExecAsync("UPDATE audit_events SET hash = prev_hash WHERE seq = 4096");
        var tampered = await ledger.VerifyAsync();
        tampered.IsIntact.ShouldBeFalse();
        tampered.Problem!.Sequence.ShouldBeOneOf([4096L, 4097L], tampered.Problem.Message);
    }

    [Fact]
    public async Task Cursor_OnAFileReadsASnapshotOnItsOwnConnectionAndReleasesIt()
    {
        await using var ledger = await Ledger.CreateAsync("sqlite");
        await ledger.AppendAsync(300);

        var cursor = (SqliteLedgerRowCursor)await ledger.Store.OpenRowCursorAsync(1, long.MaxValue);
        cursor.OwnsConnection.ShouldBeTrue();
        (await cursor.ReadAsync(default)).ShouldBeTrue();
        cursor.Sequence.ShouldBe(1);

        // Writes go on while the cursor is open and do not wait for it, and the pass keeps the snapshot it began.
        await ledger.AppendAsync(50);
        var seen = 1;
        while (await cursor.ReadAsync(default))
        {
            seen++;
            cursor.Sequence.ShouldBe(seen);
        }

        seen.ShouldBe(300);
        (await cursor.ReadAsync(default)).ShouldBeFalse();

        await cursor.DisposeAsync();
        await cursor.DisposeAsync();
        cursor.IsReleased.ShouldBeTrue();
        // Its statement is freed: reading again is refused, not a step on freed memory.
        await Should.ThrowAsync<ObjectDisposedException>(async () => await cursor.ReadAsync(default));
        cursor.Body.IsEmpty.ShouldBeTrue();

        // A pass left part-way holds a read transaction until it is disposed; then nothing pins the log, so a full
        // checkpoint empties it.
        var partial = (SqliteLedgerRowCursor)await ledger.Store.OpenRowCursorAsync(1, long.MaxValue);
        for (var i = 0; i < 10; i++)
        {
            (await partial.ReadAsync(default)).ShouldBeTrue();
        }

        await ledger.AppendAsync(5);
        await partial.DisposeAsync();
        partial.IsReleased.ShouldBeTrue();
        await using (var c = await ledger.Db.Connections.OpenAsync())
        {
            var result = (await c.QueryAsync<(long Busy, long Log, long Checkpointed)>("PRAGMA wal_checkpoint(TRUNCATE)")).Single();
            result.Busy.ShouldBe(0);
            result.Log.ShouldBe(0);
        }

        (await ReadWithCursorAsync(ledger.Store)).Count.ShouldBe(355);
    }

    [Fact]
    public async Task Cursor_OnAnInMemoryDatabaseReadsThroughThePooledConnection()
    {
        // An in-memory database is visible only through the connections of this process that share it, so the
        // cursor cannot open one of its own: it reads the pooled connection it was given.
        var target = new DatabaseTarget(SqlDialect.Sqlite, $"Data Source=ledger_{Guid.NewGuid():N};Mode=Memory;Cache=Shared");
        await using var connections = new ConnectionFactory(target);
        await using var keepAlive = await connections.OpenAsync();
        await new MigrationRunner(connections).MigrateAsync();
        var ledgerId = await LedgerSettings.EnsureLedgerIdAsync(connections);
        var keyring = await new AuditKeyStore(connections, new SecretBox(RandomNumberGenerator.GetBytes(32)), TimeProvider.System).LoadOrCreateAsync();
        var store = new SqlAuditLedgerStore(connections);
        await using (var writer = await AuditWriter.StartAsync(store, new AuditWriterOptions { LedgerId = ledgerId, CheckpointEveryEvents = 100 }, keyring))
        {
            await Task.WhenAll(Enumerable.Range(1, 250).Select(i => writer.AppendAsync(Draft(i))));
            await writer.CheckpointAsync();
        }

        var report = await StoreVerifier.VerifyAsync(store, ledgerId, new AuditPublicKeySet(keyring.PublicKeys));

        report.IsIntact.ShouldBeTrue(report.Problem?.Message);
        report.EventsVerified.ShouldBe(250);
        // A pass left part-way and disposed leaves no statement on the pooled connection: in a shared in-memory
        // database one would hold a read lock on the table, and another connection's write to it would fail.
        var partial = (SqliteLedgerRowCursor)await store.OpenRowCursorAsync(1, long.MaxValue);
        partial.OwnsConnection.ShouldBeFalse();
        for (var i = 0; i < 5; i++)
        {
            (await partial.ReadAsync(default)).ShouldBeTrue();
        }

        await partial.DisposeAsync();
        partial.IsReleased.ShouldBeTrue();
        (await keepAlive.ExecuteAsync("UPDATE audit_events SET seq = seq WHERE seq = 1")).ShouldBe(1);
        await Should.ThrowAsync<ObjectDisposedException>(async () => await partial.ReadAsync(default));

        ShouldBeTheSameRows(await ReadWithCursorAsync(store), await ReadWithDataReaderAsync(store));
    }

    public static TheoryData<string, string> Tampering()
    {
        var data = new TheoryData<string, string>();
        foreach (var engine in new[] { "sqlite", "postgres" })
        {
            foreach (var attack in new[] { "body", "short-hash", "empty-body" })
            {
                data.Add(engine, attack);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Verify_ReportsATamperedRowInALaterChunkAtItsSequence(string engine, string attack)
    {
        await using var ledger = await Ledger.CreateAsync(engine);
        await ledger.AppendAsync(AcrossChunks);
        await ledger.Writer.DisposeAsync();
        const long Victim = 4096 + 1234;
        switch (attack)
        {
            case "body":
                await using (var c = await ledger.Db.Connections.OpenAsync())
                {
                    var body = await c.ExecuteScalarAsync<byte[]>("SELECT body FROM audit_events WHERE seq = @Victim", new { Victim });
                    body![^3] ^= 0x01;
                    await c.ExecuteAsync("UPDATE audit_events SET body = @body WHERE seq = @Victim", new { body, Victim });
                }

                break;
            case "short-hash":
                // A hash column that is not 32 bytes is reported as a modified event, not an exception.
                await ledger.ExecAsync("UPDATE audit_events SET hash = @hash WHERE seq = @Victim", new { hash = new byte[31], Victim });
                break;
            case "empty-body":
                // An empty body (as retention leaves) without an erase record: the hash no longer matches.
                await ledger.ExecAsync("UPDATE audit_events SET body = @body WHERE seq = @Victim", new { body = Array.Empty<byte>(), Victim });
                break;
        }

        var report = await ledger.VerifyAsync();

        report.IsIntact.ShouldBeFalse($"{attack} went unnoticed");
        report.Problem!.Sequence.ShouldBe(Victim, report.Problem.Message);
        report.Problem.Kind.ShouldBe(VerificationProblemKind.Modified, report.Problem.Message);
    }
}
