namespace Warden.Data;

/// <summary>One versioned SQL script for one dialect.</summary>
/// <param name="Version">Monotonic version, from the file name prefix (<c>0001_...</c>).</param>
/// <param name="Name">The rest of the file name, for people reading the migrations table.</param>
/// <param name="Sql">The script; it runs inside one transaction with the row that records it.</param>
/// <param name="Checksum">SHA-256 of the script, recorded so an edited, already-applied migration is noticed.</param>
public sealed record Migration(long Version, string Name, string Sql, string Checksum);
