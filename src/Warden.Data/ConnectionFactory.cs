using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Warden.Data;

/// <summary>
/// Opens connections to the configured database. SQLite connections get WAL, foreign keys and a busy timeout;
/// PostgreSQL connections come from one pooled <see cref="NpgsqlDataSource"/>.
/// </summary>
public sealed class ConnectionFactory : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;

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
            var dir = Path.GetDirectoryName(new SqliteConnectionStringBuilder(target.ConnectionString).DataSource);
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
        }
    }

    /// <summary>The database this factory connects to.</summary>
    public DatabaseTarget Target { get; }

    /// <summary>The SQL dialect of <see cref="Target"/>.</summary>
    public SqlDialect Dialect => Target.Dialect;

    /// <summary>Opens a new connection; the caller disposes it.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(Target.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            // WAL lets readers run beside the single writer. synchronous=FULL fsyncs the WAL at every commit, so a
            // commit that returned survives power loss, not only a process crash: the audit ledger acknowledges
            // appends only once durable, and group commit keeps the number of fsyncs low. busy_timeout makes
            // concurrent writers wait instead of failing with SQLITE_BUSY.
            await connection.ExecuteAsync(
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;")
                .ConfigureAwait(false);
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
