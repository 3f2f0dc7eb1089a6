using System.Data.Common;
using Microsoft.Data.Sqlite;
using Warden.Audit;
using static Warden.Data.Audit.SqliteNative;

namespace Warden.Data.Audit;

/// <summary>
/// Reads audit rows through SQLite's C API (<see cref="SqliteNative"/>). Microsoft.Data.Sqlite allocates an array
/// for every blob of every row (three per row here), which made reading cost more than re-hashing; here the hashes
/// are read straight into <see cref="AuditHash"/> values and the body is a span over SQLite's own memory, valid until
/// the next step. The single statement runs in one implicit read transaction, so the pass sees one consistent
/// snapshot, as a data reader's would.
/// </summary>
/// <remarks>
/// For a database file the cursor opens a connection of its own, without SQLite's per-connection mutex
/// (<c>SQLITE_OPEN_NOMUTEX</c>): a pooled connection is opened in serialized mode, where every column read locks and
/// unlocks it, and nothing else uses this connection. The cursor is used by one caller at a time, which is all that
/// mode asks. An in-memory database is only visible through the connection it was opened on, so then the pooled
/// connection itself is read.
/// </remarks>
internal sealed unsafe class SqliteLedgerRowCursor : IAuditRowCursor
{
    private static ReadOnlySpan<byte> Select =>
        "SELECT seq, prev_hash, hash, body, erased_by FROM audit_events WHERE seq >= ?1 AND seq <= ?2 ORDER BY seq\0"u8;

    private readonly DbConnection? _pooled;
    private readonly DatabaseHandle? _own;
    private readonly StatementHandle _statement;

    // The raw pointers the hot calls take; valid while the handles above are held (until DisposeAsync).
    private readonly nint _db;
    private readonly nint _stmt;

    private byte* _body;
    private int _bodyLength;
    private bool _done;
    private bool _disposed;

    private SqliteLedgerRowCursor(DbConnection? pooled, DatabaseHandle? own, nint db, StatementHandle statement)
    {
        _pooled = pooled;
        _own = own;
        _db = db;
        _statement = statement;
        _stmt = statement.DangerousGetHandle();
    }

    /// <summary>Prepares the pass over [<paramref name="fromSequence"/>, <paramref name="toSequence"/>]; takes ownership of <paramref name="connection"/>.</summary>
    public static SqliteLedgerRowCursor Open(DbConnection connection, long fromSequence, long toSequence)
    {
        var pooled = ((SqliteConnection)connection).Handle?.DangerousGetHandle() ?? throw new InvalidOperationException("The SQLite connection is not open.");
        DatabaseHandle? own = null;
        StatementHandle? statement = null;
        try
        {
            own = OpenOwnConnection(connection, pooled);
            var db = own?.DangerousGetHandle() ?? pooled;
            nint stmt;
            fixed (byte* sql = Select)
            {
                Check(sqlite3_prepare_v2(db, sql, -1, &stmt, null), db);
            }

            statement = StatementHandle.Adopt(stmt);
            Check(sqlite3_bind_int64(stmt, 1, fromSequence), db);
            Check(sqlite3_bind_int64(stmt, 2, toSequence), db);
            if (own is null)
            {
                return new SqliteLedgerRowCursor(connection, null, db, statement);
            }

            // The pooled connection was needed only to find the file; it goes back to the pool now.
            connection.Dispose();
            return new SqliteLedgerRowCursor(null, own, db, statement);
        }
        catch
        {
            statement?.Dispose();
            own?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A connection of the cursor's own to the pooled connection's database file; null for an in-memory database, and
    /// for a URI data source, whose parameters (a VFS, <c>immutable</c>, ...) the file name alone would not carry.
    /// </summary>
    private static DatabaseHandle? OpenOwnConnection(DbConnection connection, nint pooled)
    {
        // The data source as configured (an open connection's DataSource is the resolved file name instead).
        if (new SqliteConnectionStringBuilder(connection.ConnectionString).DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        fixed (byte* main = "main\0"u8)
        {
            var file = sqlite3_db_filename(pooled, main);
            if (file is null || *file == 0)
            {
                return null;
            }

            nint db;
            var rc = sqlite3_open_v2(file, &db, OpenReadWrite | OpenNoMutex | OpenPrivateCache, null);
            var handle = DatabaseHandle.Adopt(db);
            if (rc != Ok)
            {
                var error = Error(rc, db);
                handle.Dispose();
                throw error;
            }

            // A reader in WAL mode waits only while another connection recovers the log: as long as the pool's
            // connections would (ConnectionFactory's busy_timeout). Read-write, not read-only: a reader may have to
            // rebuild the log's index (the -shm file) after a crash, which writes.
            sqlite3_busy_timeout(db, 10_000);
            return handle;
        }
    }

    /// <summary>True when the cursor reads through a connection of its own (a database file), false for the pooled one.</summary>
    internal bool OwnsConnection => _own is not null;

    /// <summary>True once disposed: the statement finalized and the cursor's own connection, if any, closed.</summary>
    internal bool IsReleased => _statement.IsClosed && (_own?.IsClosed ?? true);

    public long Sequence { get; private set; }

    public AuditHash PreviousHash { get; private set; }

    public AuditHash Hash { get; private set; }

    public long? ErasedBy { get; private set; }

    public ReadOnlySpan<byte> Body => new(_body, _bodyLength);

    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        // The statement is freed on dispose: stepping it then would read freed memory.
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (_done)
        {
            return ValueTask.FromResult(false);
        }

        var rc = sqlite3_step(_stmt);
        if (rc == Done)
        {
            _done = true;
            _body = null;
            _bodyLength = 0;
            return ValueTask.FromResult(false);
        }

        if (rc != Row)
        {
            // A failed pass ends here: no stale body, and no silent restart from the first row on a retry.
            _done = true;
            _body = null;
            _bodyLength = 0;
            throw Error(rc, _db);
        }

        Sequence = sqlite3_column_int64(_stmt, 0);
        PreviousHash = ToHash(Column(1));
        Hash = ToHash(Column(2));
        _body = sqlite3_column_blob(_stmt, 3);
        _bodyLength = sqlite3_column_bytes(_stmt, 3);
        ErasedBy = sqlite3_column_type(_stmt, 4) == NullType ? null : sqlite3_column_int64(_stmt, 4);
        return ValueTask.FromResult(true);
    }

    // The blob first, then its length, as SQLite documents (reading the length first could convert the value).
    private ReadOnlySpan<byte> Column(int column)
    {
        var blob = sqlite3_column_blob(_stmt, column);
        return new ReadOnlySpan<byte>(blob, sqlite3_column_bytes(_stmt, column));
    }

    /// <summary>
    /// A hash column that does not hold 32 bytes (tampered) reads as zero, which never matches a recomputed hash or
    /// a link, so verification reports the row instead of failing with an exception.
    /// </summary>
    internal static AuditHash ToHash(ReadOnlySpan<byte> bytes) => bytes.Length == AuditHash.Size ? new AuditHash(bytes) : AuditHash.Zero;

    public ValueTask DisposeAsync()
    {
        // The statement goes first: before its own connection closes, or before the pooled one returns to the pool.
        _disposed = true;
        _done = true;
        _body = null;
        _bodyLength = 0;
        _statement.Dispose();
        _own?.Dispose();
        return _pooled?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
