using Dapper;

namespace Warden.Data.Audit;

/// <summary>The ledger's identity, chosen once per database: its genesis value and checkpoints are bound to it.</summary>
public static class LedgerSettings
{
    private const string Key = "audit.ledger_id";

    /// <summary>Reads the ledger id, creating it on first use.</summary>
    public static async Task<string> EnsureLedgerIdAsync(ConnectionFactory connections, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var existing = await connection.ExecuteScalarAsync<string?>("SELECT value FROM settings WHERE key = @Key", new { Key }).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        var id = "ldg_" + Guid.CreateVersion7().ToString("N");
        // Two replicas starting together: the second insert loses, and both read the winner back.
        await connection.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES (@Key, @id) ON CONFLICT (key) DO NOTHING", new { Key, id }).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string>("SELECT value FROM settings WHERE key = @Key", new { Key }).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The ledger id could not be stored.");
    }

    /// <summary>Reads the ledger id, or null when the database has no ledger yet.</summary>
    public static async Task<string?> GetLedgerIdAsync(ConnectionFactory connections, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string?>("SELECT value FROM settings WHERE key = @Key", new { Key }).ConfigureAwait(false);
    }
}
