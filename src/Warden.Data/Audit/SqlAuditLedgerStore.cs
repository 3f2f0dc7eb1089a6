using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
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
public sealed class SqlAuditLedgerStore(ConnectionFactory connections) : IPrunableAuditLedgerStore
{
    private const string InsertEvent =
        "INSERT INTO audit_events (seq, ts, org_id, actor_kind, actor_id, action, resource_type, resource_id, session_id, vendor, outcome, prev_hash, hash, body) " +
        "VALUES (@seq, @ts, @org, @ak, @aid, @action, @rt, @rid, @sid, @vendor, @outcome, @prev, @hash, @body)";

    /// <inheritdoc />
    public async ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ReadHeadAsync(connection, null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        if (events.Count == 0)
        {
            return;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

        var bodies = EncodeAll(events);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            await InsertPostgresAsync(connection, tx, events, bodies, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            InsertSqlite(connection, tx, events, bodies);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// SQLite runs in-process, so a prepared statement executed per row is the fast path; Microsoft.Data.Sqlite's async
    /// methods would run synchronously anyway, only with more overhead.
    /// </summary>
    /// <summary>
    /// The canonical bytes of each event. Appends run on the writer's single loop, so a large batch is encoded on all
    /// cores rather than one.
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

    private static void InsertSqlite(DbConnection connection, DbTransaction tx, IReadOnlyList<AuditEvent> events, byte[][] bodies)
    {
        using var insert = Command(connection, tx, InsertEvent);
        var p = new DbParameter[14];
        string[] names = ["seq", "ts", "org", "ak", "aid", "action", "rt", "rid", "sid", "vendor", "outcome", "prev", "hash", "body"];
        for (var i = 0; i < names.Length; i++)
        {
            p[i] = insert.CreateParameter();
            p[i].ParameterName = names[i];
            insert.Parameters.Add(p[i]);
        }

        insert.Prepare();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            p[0].Value = e.Sequence;
            p[1].Value = e.Timestamp.ToUnixTimeMilliseconds();
            p[2].Value = e.OrgId;
            p[3].Value = AuditCanonicalJson.ToText(e.Actor.Kind);
            p[4].Value = e.Actor.Id;
            p[5].Value = e.Action;
            p[6].Value = (object?)e.Resource?.Type ?? DBNull.Value;
            p[7].Value = (object?)e.Resource?.Id ?? DBNull.Value;
            p[8].Value = (object?)e.Source.SessionId ?? DBNull.Value;
            p[9].Value = e.Source.Vendor;
            p[10].Value = AuditCanonicalJson.ToText(e.Outcome);
            p[11].Value = e.PreviousHash.ToArray();
            p[12].Value = e.Hash.ToArray();
            p[13].Value = bodies[i];
            insert.ExecuteNonQuery();
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
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(connection, null,
            "INSERT INTO audit_checkpoints (to_seq, from_seq, ledger_id, last_event_hash, prev_checkpoint_hash, ts, key_id, signature) VALUES (@to, @from, @ledger, @last, @prev, @ts, @key, @sig)");
        Add(cmd, "to", checkpoint.ToSequence);
        Add(cmd, "from", checkpoint.FromSequence);
        Add(cmd, "ledger", checkpoint.LedgerId);
        Add(cmd, "last", checkpoint.LastEventHash.ToArray());
        Add(cmd, "prev", checkpoint.PreviousCheckpointHash.ToArray());
        Add(cmd, "ts", checkpoint.Timestamp.ToUnixTimeMilliseconds());
        Add(cmd, "key", checkpoint.KeyId);
        Add(cmd, "sig", checkpoint.Signature.ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
