using System.Collections.Concurrent;
using System.Data.Common;
using System.Runtime.CompilerServices;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Warden.Data;

/// <summary>
/// Opens connections to the configured database. SQLite connections get WAL, foreign keys and a busy timeout;
/// PostgreSQL connections come from one pooled <see cref="NpgsqlDataSource"/>. Writes on the hot paths go through
/// <see cref="WriteAsync{T}"/>, which on SQLite queues this process's writers for the one write lock (group commit)
/// instead of leaving them to SQLite's sleeping busy handler.
/// </summary>
public sealed class ConnectionFactory : IAsyncDisposable
{
    // One queue per database file, shared by every factory of this process that opens it (tests and `warden up` may
    // build several): two queues on one file would meet in SQLite's busy handler again.
    private static readonly ConcurrentDictionary<string, SqliteWriteQueue> Queues = new(StringComparer.Ordinal);

    // Per-connection pragmas survive in a pooled connection's handle; they are set once per handle, not at every open.
    private static readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = [];
    private static readonly object Marker = new();

    private readonly NpgsqlDataSource? _postgres;
    private readonly SqliteWriteQueue? _writes;
    private long _strandedRollbacks;

    static ConnectionFactory()
    {
        // Columns are snake_case; records and classes are PascalCase.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Creates a factory for <paramref name="target"/>.</summary>
    public ConnectionFactory(DatabaseTarget target)
    {
        Target = target;
        if (target.Dialect == SqlDialect.Postgres)
        {
            _postgres = NpgsqlDataSource.Create(target.ConnectionString);
        }
        else
        {
            var file = new SqliteConnectionStringBuilder(target.ConnectionString).DataSource;
            var dir = Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }

            // A private or in-memory database is its own; a file is shared by every connection to it.
            var key = string.IsNullOrEmpty(file) || file == ":memory:" ? Guid.NewGuid().ToString("N") : Path.GetFullPath(file);
            _writes = Queues.GetOrAdd(key, _ => new SqliteWriteQueue(OpenSqliteAsync));
        }
    }

    /// <summary>The database this factory connects to.</summary>
    public DatabaseTarget Target { get; }

    /// <summary>The SQL dialect of <see cref="Target"/>.</summary>
    public SqlDialect Dialect => Target.Dialect;

    /// <summary>SQLite commits made by <see cref="WriteAsync{T}"/> since start, and the writes they carried (0 on PostgreSQL).</summary>
    public (long Commits, long Writes) WriteStats => _writes is null ? (0, 0) : (_writes.Commits, _writes.Items);

    /// <summary>Pooled SQLite connections found still inside a transaction when opened, and rolled back.</summary>
    public long StrandedRollbacks => Interlocked.Read(ref _strandedRollbacks);

    /// <summary>Opens a new connection; the caller disposes it.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        return await OpenSqliteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="work"/> in a write transaction and commits it; returns once the commit is durable. On
    /// PostgreSQL that is a transaction of its own. On SQLite the work waits (asynchronously) for this process's
    /// earlier writers, and may share its transaction and commit with writers that queued beside it, each in its own
    /// savepoint: when the work throws, only its own writes are undone and the exception is the caller's.
    /// </summary>
    /// <remarks>
    /// The work holds the database's write lock: it does database work on the connection and transaction it is given,
    /// never commits them, and never waits for anything else that may write (the audit recorder, another store's
    /// write, a network call), or it waits for itself. Record audit events and raise events after this returns.
    /// </remarks>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (_writes is not null)
        {
            return await _writes.RunAsync(work, cancellationToken).ConfigureAwait(false);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var result = await work(connection, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// As <see cref="WriteAsync{T}"/>, but on SQLite the work is placed in the write queue before this returns and never
    /// runs on the calling thread: writes started one after another by one caller commit in that order, and the caller
    /// is not held for them (the audit writer's loop).
    /// </summary>
    public async Task<T> QueueWriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return _writes is not null
            ? await _writes.RunAsync(work, cancellationToken, inline: false).ConfigureAwait(false)
            : await WriteAsync(work, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="WriteAsync{T}"/>
    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return WriteAsync<bool>(async (connection, tx) =>
        {
            await work(connection, tx).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/>, which opens and commits its own transaction, while no other write of this
    /// process runs on the SQLite database (it takes its turn in the queue of <see cref="WriteAsync{T}"/>); on
    /// PostgreSQL it just runs. The same rule applies: database work only.
    /// </summary>
    public Task<T> ExclusiveWriteAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        return _writes is null ? work() : _writes.RunExclusiveAsync(work, cancellationToken);
    }

    private async Task<DbConnection> OpenSqliteAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(Target.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (connection.Handle is { } handle && Configured.TryGetValue(handle, out _))
            {
                if (SQLitePCL.raw.sqlite3_get_autocommit(handle) == 0)
                {
                    // The pool hands back a handle as it was returned. One still inside a transaction (its ROLLBACK
                    // failed, or something ran BEGIN behind the driver's back) would hold the write lock and make the
                    // next BEGIN fail with "cannot start a transaction within a transaction": end it here.
                    await connection.ExecuteAsync("ROLLBACK").ConfigureAwait(false);
                    Interlocked.Increment(ref _strandedRollbacks);
                }

                return connection;
            }

            // WAL lets readers run beside the single writer. synchronous=FULL fsyncs the WAL at every commit, so a
            // commit that returned survives power loss, not only a process crash: the audit ledger acknowledges
            // appends only once durable, and group commit keeps the number of fsyncs low. busy_timeout makes
            // writers that do not go through the write queue (other processes, stores with their own transactions)
            // wait instead of failing with SQLITE_BUSY.
            await connection.ExecuteAsync(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;")
                .ConfigureAwait(false);
            if (connection.Handle is { } configured)
            {
                Configured.AddOrUpdate(configured, Marker);
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }
    }
}
