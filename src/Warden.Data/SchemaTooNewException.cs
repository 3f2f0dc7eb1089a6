namespace Warden.Data;

/// <summary>The database was migrated by a newer Warden than this one; starting would risk corrupting it.</summary>
public sealed class SchemaTooNewException(long databaseVersion, long supportedVersion)
    : Exception($"The database schema is at version {databaseVersion}, newer than this Warden supports ({supportedVersion}). Upgrade Warden before starting it on this database.")
{
    /// <summary>The highest migration recorded in the database.</summary>
    public long DatabaseVersion { get; } = databaseVersion;

    /// <summary>The highest migration this build knows.</summary>
    public long SupportedVersion { get; } = supportedVersion;
}
