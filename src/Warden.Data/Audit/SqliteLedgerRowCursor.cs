using System.Data.Common;
using Microsoft.Data.Sqlite;
using SQLitePCL;
using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>
/// Reads audit rows through SQLite's native API (SQLitePCLRaw, which Microsoft.Data.Sqlite wraps) on a connection
/// the cursor owns. Microsoft.Data.Sqlite allocates an array for every blob of every row (three per row here), which
/// made reading cost more than re-hashing; here the hashes are read straight into <see cref="AuditHash"/> values and
/// the body is a span over SQLite's own memory, valid until the next step. The single statement runs in one implicit
/// read transaction, so the pass sees one consistent snapshot, as a data reader's would.
/// </summary>
internal sealed class SqliteLedgerRowCursor : IAuditRowCursor
{
    private const string Select =
        "SELECT seq, prev_hash, hash, body, erased_by FROM audit_events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq";

    private readonly DbConnection _connection;
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private bool _done;

    private SqliteLedgerRowCursor(DbConnection connection, sqlite3 db, sqlite3_stmt stmt)
    {
        _connection = connection;
        _db = db;
        _stmt = stmt;
    }

    /// <summary>Prepares the pass over [<paramref name="fromSequence"/>, <paramref name="toSequence"/>]; takes ownership of <paramref name="connection"/>.</summary>
    public static SqliteLedgerRowCursor Open(DbConnection connection, long fromSequence, long toSequence)
    {
        var db = ((SqliteConnection)connection).Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        Check(raw.sqlite3_prepare_v2(db, Select, out var stmt), db);
        try
        {
            Check(raw.sqlite3_bind_int64(stmt, 1, fromSequence), db);
            Check(raw.sqlite3_bind_int64(stmt, 2, toSequence), db);
        }
        catch
        {
            stmt.Dispose();
            throw;
        }

        return new SqliteLedgerRowCursor(connection, db, stmt);
    }

    public long Sequence { get; private set; }

    public AuditHash PreviousHash { get; private set; }

    public AuditHash Hash { get; private set; }

    public long? ErasedBy { get; private set; }

    public ReadOnlySpan<byte> Body => raw.sqlite3_column_blob(_stmt, 3);

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_done)
        {
            return ValueTask.FromResult(false);
        }

        var rc = raw.sqlite3_step(_stmt);
        if (rc == raw.SQLITE_DONE)
        {
            _done = true;
            return ValueTask.FromResult(false);
        }

        if (rc != raw.SQLITE_ROW)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }

        Sequence = raw.sqlite3_column_int64(_stmt, 0);
        PreviousHash = ToHash(raw.sqlite3_column_blob(_stmt, 1));
        Hash = ToHash(raw.sqlite3_column_blob(_stmt, 2));
        ErasedBy = raw.sqlite3_column_type(_stmt, 4) == raw.SQLITE_NULL ? null : raw.sqlite3_column_int64(_stmt, 4);
        return ValueTask.FromResult(true);
    }

    /// <summary>
    /// A hash column that does not hold 32 bytes (tampered) reads as zero, which never matches a recomputed hash or
    /// a link, so verification reports the row instead of failing with an exception.
    /// </summary>
    internal static AuditHash ToHash(ReadOnlySpan<byte> bytes) => bytes.Length == AuditHash.Size ? new AuditHash(bytes) : AuditHash.Zero;

    public async ValueTask DisposeAsync()
    {
        // The statement goes before the connection returns to the pool.
        _stmt.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private static void Check(int rc, sqlite3 db)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
        }
    }
}
