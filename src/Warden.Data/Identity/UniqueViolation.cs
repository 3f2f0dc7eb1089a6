using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Warden.Data.Identity;

/// <summary>Recognises a unique-constraint violation in either dialect, so a race between two creates is a 409, not a 500.</summary>
internal static class UniqueViolation
{
    public static bool Is(DbException e) => e switch
    {
        SqliteException s => s.SqliteErrorCode == 19 && s.Message.Contains("UNIQUE", StringComparison.Ordinal),
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };
}
