using Npgsql;
using Warden.Data;

namespace Warden.Testing;

/// <summary>
/// A fresh, empty database for one test: a SQLite file in a temporary folder, or a new PostgreSQL database on the
/// server named by <c>WARDEN_TEST_POSTGRES</c> (default: the local server that .ci/run starts). Each test gets its own,
/// so tests run in parallel and leave nothing behind. A PostgreSQL test fails, never skips, when the server is absent:
/// the store tests must run against both engines.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    /// <summary>Both engines, for <c>[Theory, MemberData]</c>.</summary>
    public static TheoryData<string> Engines => new() { "sqlite", "postgres" };

    /// <summary>The admin connection used to create and drop test databases.</summary>
    public static string PostgresAdmin =>
        Environment.GetEnvironmentVariable("WARDEN_TEST_POSTGRES") is { Length: > 0 } v ? v : "Host=127.0.0.1;Port=5432;Username=warden;Password=warden;Database=postgres";

    private readonly string? _folder;
    private readonly string? _pgName;

    private TestDatabase(DatabaseTarget target, string? folder, string? pgName)
    {
        Target = target;
        _folder = folder;
        _pgName = pgName;
        Connections = new ConnectionFactory(target);
    }

    /// <summary>Where the database is.</summary>
    public DatabaseTarget Target { get; }

    /// <summary>A connection factory for it.</summary>
    public ConnectionFactory Connections { get; }

    /// <summary>A temporary folder that is deleted with the database (also the data folder for server tests).</summary>
    public string Folder => _folder!;

    /// <summary>Creates an empty database of the given engine.</summary>
    public static async Task<TestDatabase> CreateAsync(string engine)
    {
        var folder = Path.Combine(Path.GetTempPath(), "warden-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        if (engine == "sqlite")
        {
            return new TestDatabase(DatabaseTarget.Sqlite(Path.Combine(folder, "warden.db")), folder, null);
        }

        var name = "warden_t_" + Guid.NewGuid().ToString("N")[..16];
        await using (var admin = new NpgsqlConnection(PostgresAdmin))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(PostgresAdmin) { Database = name };
        return new TestDatabase(new DatabaseTarget(SqlDialect.Postgres, builder.ToString()), folder, name);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Connections.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        if (_pgName is not null)
        {
            await using var admin = new NpgsqlConnection(PostgresAdmin);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgName} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder!, recursive: true);
        }
        catch (IOException)
        {
            // A straggling handle on some file; the OS temp cleaner gets it.
        }
    }
}
