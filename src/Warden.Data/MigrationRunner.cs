using System.Data.Common;
using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Dapper;

namespace Warden.Data;

/// <summary>
/// Applies the embedded SQL migrations of the connection's dialect, each in its own transaction together with the
/// row in <c>schema_migrations</c> that records it, so a crash mid-migration leaves the database as it was before
/// that migration. Refuses to run against a database that a newer Warden has migrated.
/// </summary>
public sealed class MigrationRunner(ConnectionFactory connections, IReadOnlyList<Migration>? migrations = null)
{
    /// <summary>The migrations this build carries for <paramref name="dialect"/>, in version order.</summary>
    public static IReadOnlyList<Migration> Load(SqlDialect dialect)
    {
        var folder = dialect == SqlDialect.Sqlite ? "sqlite" : "postgres";
        var prefix = $"Warden.Data.Migrations.{folder}.";
        var assembly = typeof(MigrationRunner).Assembly;
        var result = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            // Embedded names turn a leading digit into "_": "0001_identity.sql" becomes "_0001_identity.sql".
            var file = resource[prefix.Length..^4].TrimStart('_');
            var underscore = file.IndexOf('_', StringComparison.Ordinal);
            var version = long.Parse(file[..underscore], CultureInfo.InvariantCulture);
            var sql = ReadResource(assembly, resource);
            var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
            result.Add(new Migration(version, file[(underscore + 1)..], sql, checksum));
        }

        result.Sort((a, b) => a.Version.CompareTo(b.Version));
        return result;
    }

    /// <summary>The highest migration version this build knows for the dialect.</summary>
    public static long LatestVersion(SqlDialect dialect) => Load(dialect)[^1].Version;

    /// <summary>Brings the database up to date and returns the versions applied by this call.</summary>
    /// <exception cref="SchemaTooNewException">The database is newer than this build.</exception>
    public async Task<IReadOnlyList<long>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        var all = migrations ?? Load(connections.Dialect);
        var latest = all[^1].Version;
        var applied = new List<long>();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)")
            .ConfigureAwait(false);

        foreach (var migration in all)
        {
            await using var tx = await BeginAsync(connection, cancellationToken).ConfigureAwait(false);
            if (connections.Dialect == SqlDialect.Postgres)
            {
                // Several replicas may start at once; the advisory lock serialises them for this transaction.
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7263535)", transaction: tx).ConfigureAwait(false);
            }

            var current = await CurrentVersionAsync(connection, tx).ConfigureAwait(false);
            if (current > latest)
            {
                throw new SchemaTooNewException(current, latest);
            }

            var done = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @v", new { v = migration.Version }, tx).ConfigureAwait(false);
            if (done > 0)
            {
                continue;
            }

            await connection.ExecuteAsync(migration.Sql, transaction: tx).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (@Version, @Name, @Checksum, @At)",
                new { migration.Version, migration.Name, migration.Checksum, At = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() },
                tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }

        // Covers a database with no pending migration that is still newer than this build.
        var final = await CurrentVersionAsync(connection, null).ConfigureAwait(false);
        if (final > latest)
        {
            throw new SchemaTooNewException(final, latest);
        }

        return applied;
    }

    /// <summary>The highest version recorded in the database, or 0 when none (or no migrations table).</summary>
    public async Task<long> GetVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CurrentVersionAsync(connection, null).ConfigureAwait(false);
        }
        catch (DbException)
        {
            return 0;
        }
    }

    private static Task<long> CurrentVersionAsync(DbConnection connection, DbTransaction? tx) =>
        connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", transaction: tx);

    private static async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
