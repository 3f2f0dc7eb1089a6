namespace Warden.Data;

/// <summary>The SQL engines Warden stores its data in.</summary>
public enum SqlDialect
{
    /// <summary>SQLite in WAL mode: the embedded default for <c>warden up</c>.</summary>
    Sqlite,

    /// <summary>PostgreSQL: production, and several server replicas sharing one database.</summary>
    Postgres,
}
