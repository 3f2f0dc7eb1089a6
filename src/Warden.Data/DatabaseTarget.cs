using Microsoft.Data.Sqlite;
using Npgsql;

namespace Warden.Data;

/// <summary>
/// Where the data lives: a SQLite file path or a PostgreSQL connection string. One string on the command
/// line or in configuration decides the dialect, so operators never set two options that could disagree.
/// </summary>
public sealed record DatabaseTarget(SqlDialect Dialect, string ConnectionString)
{
    /// <summary>
    /// Reads a <c>--database</c> value: a <c>postgres://</c> or <c>postgresql://</c> URI, or a key/value string
    /// with <c>Host=</c>, is PostgreSQL; anything else is a SQLite file path.
    /// </summary>
    public static DatabaseTarget Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var trimmed = value.Trim();
        if (trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new DatabaseTarget(SqlDialect.Postgres, FromPostgresUri(new Uri(trimmed)));
        }

        if (trimmed.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            // Validates the syntax now so a typo is reported at start, not at the first query.
            _ = new NpgsqlConnectionStringBuilder(trimmed);
            return new DatabaseTarget(SqlDialect.Postgres, trimmed);
        }

        return Sqlite(trimmed);
    }

    /// <summary>A SQLite database in the given file.</summary>
    public static DatabaseTarget Sqlite(string path)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.GetFullPath(path),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        };
        return new DatabaseTarget(SqlDialect.Sqlite, builder.ToString());
    }

    /// <summary>A description safe to print or log: the password of a PostgreSQL connection is never included.</summary>
    public string Describe() => Dialect switch
    {
        SqlDialect.Sqlite => $"sqlite:{new SqliteConnectionStringBuilder(ConnectionString).DataSource}",
        _ => DescribePostgres(),
    };

    private string DescribePostgres()
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";
    }

    private static string FromPostgresUri(Uri uri)
    {
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/'),
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        return b.ToString();
    }
}
