using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Warden.Audit;
using Warden.Audit.Canonical;
using Warden.Audit.Storage;

namespace Warden.Data.Audit;

/// <summary>
/// The audit ledger in SQLite or PostgreSQL. Each event row keeps the canonical bytes the hash covers (<c>body</c>)
/// verbatim, so verification re-hashes exactly what was hashed when written; the other columns are copies for
/// filtering. A batch is one transaction that first checks it continues the stored chain. Retention
/// (<see cref="AuditRetentionStore"/>) may erase rows' content (<c>erased_by</c> set, body empty) and remove a fully
/// erased prefix up to a checkpoint (setting <c>audit.pruned_through</c>); <see cref="ReadEventsAsync"/> returns only
/// events with their content, <see cref="ReadEntriesAsync"/> every stored position.
/// </summary>
public sealed class SqlAuditLedgerStore(ConnectionFactory connections) : ICompanionAuditLedgerStore, IPrunableAuditLedgerStore
{
    // Positional parameters, bound by index through the native API (see InsertSqlite).
    private const string InsertEvent =
        "INSERT INTO audit_events (seq, ts, org_id, actor_kind, actor_id, action, resource_type, resource_id, session_id, vendor, outcome, prev_hash, hash, body) " +
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

    /// <inheritdoc />
    public async ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadHeadAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default) =>
        events.Count == 0 ? ValueTask.CompletedTask : AppendCoreAsync(events, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        if (canonical.Count != events.Count)
        {
            throw new ArgumentException($"{events.Count} events but {canonical.Count} encodings.", nameof(canonical));
        }

        return events.Count == 0 ? ValueTask.CompletedTask : AppendCoreAsync(events, canonical, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, IReadOnlyList<AuditCompanionWrite> companions, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await AppendWithinAsync(connection, tx, events, canonical, companions, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Appends a batch, and runs its companions, inside the caller's transaction (the write queue's, which commits it
    /// with the writes queued beside it): the chain-continuity check, the rows, then each <see cref="SqlAuditCompanion"/>
    /// in order. A companion that throws is reported as <see cref="AuditCompanionException"/>; the caller rolls back.
    /// </summary>
    public async Task AppendWithinAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]>? canonical,
        IReadOnlyList<AuditCompanionWrite> companions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(companions);
        if (canonical is not null && canonical.Count != events.Count)
        {
            throw new ArgumentException($"{events.Count} events but {canonical.Count} encodings.", nameof(canonical));
        }

        if (events.Count > 0)
        {
            await InsertWithinAsync(connection, tx, events, canonical, cancellationToken).ConfigureAwait(false);
        }

        foreach (var companion in companions)
        {
            if (companion is not SqlAuditCompanion sql)
            {
                throw new ArgumentException($"A SQL ledger store runs only {nameof(SqlAuditCompanion)}s, not {companion.GetType().Name}.", nameof(companions));
            }

            try
            {
                await sql.RunAsync(connection, tx).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new AuditCompanionException(companion, e);
            }
        }
    }

    /// <summary>One transaction: the chain-continuity check, then the rows; <paramref name="canonical"/> null encodes here.</summary>
    private async ValueTask AppendCoreAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]>? canonical, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await InsertWithinAsync(connection, tx, events, canonical, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task InsertWithinAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]>? canonical, CancellationToken cancellationToken)
    {
        if (connections.Dialect == SqlDialect.Postgres)
        {
            // Serialises appenders across replicas so the continuity check below cannot race.
            await using var lockCmd = Command(connection, tx, "SELECT pg_advisory_xact_lock(7263537)");
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var head = await ReadHeadAsync(connection, tx, cancellationToken).ConfigureAwait(false);
        var first = events[0];
        var expected = (head?.LastSequence ?? 0) + 1;
        if (first.Sequence != expected || (head is { } h && first.PreviousHash != h.LastHash))
        {
            throw new AuditStoreConflictException($"The batch starts at {first.Sequence} but the ledger continues at {expected}.");
        }

        var bodies = canonical ?? EncodeAll(events);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            await InsertPostgresAsync(connection, tx, events, bodies as byte[][] ?? [.. bodies], cancellationToken).ConfigureAwait(false);
        }
        else
        {
            InsertSqlite(connection, events, bodies);
        }
    }

    /// <summary>
    /// The canonical bytes of each event, for callers of <see cref="AppendAsync"/> (the writer passes its own through
    /// <see cref="AppendEncodedAsync"/>). A large batch is encoded on all cores rather than one.
    /// </summary>
    private static byte[][] EncodeAll(IReadOnlyList<AuditEvent> events)
    {
        var bodies = new byte[events.Count][];
        if (events.Count < 64)
        {
            for (var i = 0; i < bodies.Length; i++)
            {
                bodies[i] = AuditCanonicalJson.EncodeEvent(events[i]);
            }
        }
        else
        {
            Parallel.For(0, bodies.Length, i => bodies[i] = AuditCanonicalJson.EncodeEvent(events[i]));
        }

        return bodies;
    }

    /// <summary>
    /// SQLite runs in-process, so one prepared statement stepped per row is the fast path. It goes through the
    /// native API (SQLitePCLRaw, which Microsoft.Data.Sqlite wraps) on the same connection and inside the same
    /// transaction: Microsoft.Data.Sqlite re-binds every parameter by name on each execution (a name lookup per
    /// parameter per row), which cost more than SQLite's own insert. Binding by index removes that; statements of
    /// 32 and 100 rows, tried as well, took more CPU per row than one row per step (see docs/benchmarks.md).
    /// </summary>
    private static void InsertSqlite(DbConnection connection, IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> bodies)
    {
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(db, InsertEvent, out var stmt), db);
        using (stmt)
        {
            Span<byte> prev = stackalloc byte[AuditHash.Size];
            Span<byte> hash = stackalloc byte[AuditHash.Size];
            Span<byte> text = stackalloc byte[ShortText * 3];
            for (var i = 0; i < events.Count; i++)
            {
                var e = events[i];
                Check(raw.sqlite3_bind_int64(stmt, 1, e.Sequence), db);
                Check(raw.sqlite3_bind_int64(stmt, 2, e.Timestamp.ToUnixTimeMilliseconds()), db);
                BindText(stmt, 3, e.OrgId, text, db);
                BindText(stmt, 4, AuditCanonicalJson.ToText(e.Actor.Kind), text, db);
                BindText(stmt, 5, e.Actor.Id, text, db);
                BindText(stmt, 6, e.Action, text, db);
                BindText(stmt, 7, e.Resource?.Type, text, db);
                BindText(stmt, 8, e.Resource?.Id, text, db);
                BindText(stmt, 9, e.Source.SessionId, text, db);
                BindText(stmt, 10, e.Source.Vendor, text, db);
                BindText(stmt, 11, AuditCanonicalJson.ToText(e.Outcome), text, db);
                e.PreviousHash.WriteTo(prev);
                e.Hash.WriteTo(hash);
                Check(raw.sqlite3_bind_blob(stmt, 12, prev), db);
                Check(raw.sqlite3_bind_blob(stmt, 13, hash), db);
                var body = bodies[i];
                if (body.Length == 0)
                {
                    // A zero-length span binds NULL, not an empty blob; no canonical event is empty anyway.
                    throw new ArgumentException($"Event {e.Sequence} has an empty encoding.", nameof(bodies));
                }

                Check(raw.sqlite3_bind_blob(stmt, 14, body), db);
                var rc = raw.sqlite3_step(stmt);
                if (rc != raw.SQLITE_DONE)
                {
                    SqliteException.ThrowExceptionForRC(rc, db);
                }

                Check(raw.sqlite3_reset(stmt), db);
            }
        }
    }

    // Strings up to this many UTF-16 units are encoded into a stack buffer (at most 3 UTF-8 bytes each).
    private const int ShortText = 256;

    /// <summary>
    /// Binds a string as UTF-8 text (SQLite copies it: SQLITE_TRANSIENT), NULL for null. Short strings go through
    /// <paramref name="scratch"/>; an empty string needs the terminated form, because a zero-length span would bind NULL.
    /// </summary>
    private static void BindText(sqlite3_stmt stmt, int index, string? value, Span<byte> scratch, sqlite3 db)
    {
        int rc;
        if (value is null)
        {
            rc = raw.sqlite3_bind_null(stmt, index);
        }
        else if (value.Length == 0)
        {
            rc = raw.sqlite3_bind_text(stmt, index, utf8z.FromSpan("\0"u8));
        }
        else if (value.Length <= ShortText)
        {
            var length = System.Text.Encoding.UTF8.GetBytes(value, scratch);
            rc = raw.sqlite3_bind_text(stmt, index, scratch[..length]);
        }
        else
        {
            rc = raw.sqlite3_bind_text(stmt, index, System.Text.Encoding.UTF8.GetBytes(value));
        }

        Check(rc, db);
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }

    /// <summary>PostgreSQL is a network hop away: the whole batch goes as column arrays in one statement, one round trip.</summary>
    private static async Task InsertPostgresAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<AuditEvent> events, byte[][] body, CancellationToken cancellationToken)
    {
        var n = events.Count;
        var seq = new long[n];
        var ts = new long[n];
        var org = new string[n];
        var ak = new string[n];
        var aid = new string[n];
        var action = new string[n];
        var rt = new string?[n];
        var rid = new string?[n];
        var sid = new string?[n];
        var vendor = new string[n];
        var outcome = new string[n];
        var prev = new byte[n][];
        var hash = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            seq[i] = e.Sequence;
            ts[i] = e.Timestamp.ToUnixTimeMilliseconds();
            org[i] = e.OrgId;
            ak[i] = AuditCanonicalJson.ToText(e.Actor.Kind);
            aid[i] = e.Actor.Id;
            action[i] = e.Action;
            rt[i] = e.Resource?.Type;
            rid[i] = e.Resource?.Id;
            sid[i] = e.Source.SessionId;
            vendor[i] = e.Source.Vendor;
            outcome[i] = AuditCanonicalJson.ToText(e.Outcome);
            prev[i] = e.PreviousHash.ToArray();
            hash[i] = e.Hash.ToArray();
        }

        await using var insert = Command(connection, tx,
            "INSERT INTO audit_events (seq, ts, org_id, actor_kind, actor_id, action, resource_type, resource_id, session_id, vendor, outcome, prev_hash, hash, body) " +
            "SELECT * FROM unnest(@seq, @ts, @org, @ak, @aid, @action, @rt, @rid, @sid, @vendor, @outcome, @prev, @hash, @body)");
        Add(insert, "seq", seq);
        Add(insert, "ts", ts);
        Add(insert, "org", org);
        Add(insert, "ak", ak);
        Add(insert, "aid", aid);
        Add(insert, "action", action);
        Add(insert, "rt", rt);
        Add(insert, "rid", rid);
        Add(insert, "sid", sid);
        Add(insert, "vendor", vendor);
        Add(insert, "outcome", outcome);
        Add(insert, "prev", prev);
        Add(insert, "hash", hash);
        Add(insert, "body", body);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(connection, null, "SELECT prev_hash, hash, body FROM audit_events WHERE seq >= @from AND seq <= @to AND erased_by IS NULL ORDER BY seq");
        Add(cmd, "from", fromSequence);
        Add(cmd, "to", toSequence);
        await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return ReadEvent(reader, 0);
        }
    }

    /// <summary>
    /// Reads the raw rows (sequence, hashes, canonical bytes, and for an erased row the erase record's sequence) for
    /// fast verification without decoding events.
    /// </summary>
    public async IAsyncEnumerable<StoredAuditRow> ReadRowsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(connection, null, "SELECT seq, prev_hash, hash, body, erased_by FROM audit_events WHERE seq >= @from AND seq <= @to ORDER BY seq");
        Add(cmd, "from", fromSequence);
        Add(cmd, "to", toSequence);
        await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new StoredAuditRow(reader.GetInt64(0), (byte[])reader.GetValue(1), (byte[])reader.GetValue(2), (byte[])reader.GetValue(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4));
        }
    }

    /// <summary>
    /// Opens a forward-only pass over the stored rows of [<paramref name="fromSequence"/>, <paramref name="toSequence"/>]
    /// for verification: on SQLite through the native API without an array per column (see
    /// <see cref="SqliteLedgerRowCursor"/>), on PostgreSQL through the data reader. The caller disposes it.
    /// </summary>
    public async Task<IAuditRowCursor> OpenRowCursorAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default)
    {
        var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        DbCommand? cmd = null;
        try
        {
            if (connections.Dialect == SqlDialect.Sqlite)
            {
                return SqliteLedgerRowCursor.Open(connection, fromSequence, toSequence);
            }

            cmd = Command(connection, null, "SELECT seq, prev_hash, hash, body, erased_by FROM audit_events WHERE seq >= @from AND seq <= @to ORDER BY seq");
            Add(cmd, "from", fromSequence);
            Add(cmd, "to", toSequence);
            var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
            return new DbLedgerRowCursor(connection, cmd, reader);
        }
        catch
        {
            if (cmd is not null)
            {
                await cmd.DisposeAsync().ConfigureAwait(false);
            }

            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditLedgerEntry> ReadEntriesAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var row in ReadRowsAsync(fromSequence, toSequence, cancellationToken).ConfigureAwait(false))
        {
            yield return row.ErasedBy is { } erasedBy
                ? new AuditLedgerEntry(null, new AuditErasedEntry(row.Sequence, new AuditHash(row.PreviousHash), new AuditHash(row.Hash), erasedBy))
                : new AuditLedgerEntry(AuditEventReader.Parse(row.Body, new AuditHash(row.PreviousHash), new AuditHash(row.Hash)), null);
        }
    }

    /// <inheritdoc />
    public async ValueTask<long> GetPrunedThroughAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadPrunedThroughAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The setting that says where the stored chain starts after compaction.</summary>
    internal const string PrunedThroughSetting = "audit.pruned_through";

    internal static async Task<long> ReadPrunedThroughAsync(DbConnection connection, DbTransaction? tx, CancellationToken cancellationToken)
    {
        await using var cmd = Command(connection, tx, "SELECT value FROM settings WHERE key = @key");
        Add(cmd, "key", PrunedThroughSetting);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string text
            ? long.Parse(text, System.Globalization.CultureInfo.InvariantCulture)
            : 0;
    }

    /// <inheritdoc />
    public async ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            // The appends' lock: the continuity check and the insert happen as one step among all replicas.
            await using var lockCmd = Command(connection, tx, "SELECT pg_advisory_xact_lock(7263537)");
            await lockCmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Inserted only when it continues the stored checkpoints; otherwise another writer sealed first.
        await using var cmd = Command(connection, tx,
            "INSERT INTO audit_checkpoints (to_seq, from_seq, ledger_id, last_event_hash, prev_checkpoint_hash, ts, key_id, signature) " +
            "SELECT @to, @from, @ledger, @last, @prev, @ts, @key, @sig WHERE COALESCE((SELECT MAX(to_seq) FROM audit_checkpoints), 0) = @from - 1");
        Add(cmd, "to", checkpoint.ToSequence);
        Add(cmd, "from", checkpoint.FromSequence);
        Add(cmd, "ledger", checkpoint.LedgerId);
        Add(cmd, "last", checkpoint.LastEventHash.ToArray());
        Add(cmd, "prev", checkpoint.PreviousCheckpointHash.ToArray());
        Add(cmd, "ts", checkpoint.Timestamp.ToUnixTimeMilliseconds());
        Add(cmd, "key", checkpoint.KeyId);
        Add(cmd, "sig", checkpoint.Signature.ToArray());
        if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) != 1)
        {
            throw new AuditStoreConflictException($"The checkpoint starts at {checkpoint.FromSequence} but does not follow the last stored checkpoint.");
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default)
    {
        await foreach (var c in QueryCheckpointsAsync("ORDER BY to_seq DESC LIMIT 1", null, null, cancellationToken).ConfigureAwait(false))
        {
            return c;
        }

        return null;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) =>
        QueryCheckpointsAsync("WHERE to_seq >= @from AND to_seq <= @to ORDER BY to_seq", fromSequence, toSequence, cancellationToken);

    /// <summary>Decodes an event from a row whose columns at <paramref name="offset"/> are prev_hash, hash, body.</summary>
    internal static AuditEvent ReadEvent(DbDataReader reader, int offset)
    {
        // Columns in order: readers opened with SequentialAccess cannot go back.
        var previous = new AuditHash((byte[])reader.GetValue(offset));
        var hash = new AuditHash((byte[])reader.GetValue(offset + 1));
        return AuditEventReader.Parse((byte[])reader.GetValue(offset + 2), previous, hash);
    }

    private async IAsyncEnumerable<AuditCheckpoint> QueryCheckpointsAsync(string where, long? from, long? to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(connection, null,
            "SELECT ledger_id, from_seq, to_seq, last_event_hash, prev_checkpoint_hash, ts, key_id, signature FROM audit_checkpoints " + where);
        if (from is not null)
        {
            Add(cmd, "from", from.Value);
            Add(cmd, "to", to!.Value);
        }

        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new AuditCheckpoint
            {
                LedgerId = reader.GetString(0),
                FromSequence = reader.GetInt64(1),
                ToSequence = reader.GetInt64(2),
                LastEventHash = new AuditHash((byte[])reader.GetValue(3)),
                PreviousCheckpointHash = new AuditHash((byte[])reader.GetValue(4)),
                Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                KeyId = reader.GetString(6),
                Signature = (byte[])reader.GetValue(7),
            };
        }
    }

    private static async Task<AuditChainHead?> ReadHeadAsync(DbConnection connection, DbTransaction? tx, CancellationToken cancellationToken)
    {
        await using var cmd = Command(connection, tx, "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1");
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new AuditChainHead(reader.GetInt64(0), new AuditHash((byte[])reader.GetValue(1)))
            : null;
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    internal static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
