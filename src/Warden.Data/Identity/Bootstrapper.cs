using Dapper;

namespace Warden.Data.Identity;

/// <summary>
/// First start: creates the first org and its site-administrator owner and mints the admin token, all in one
/// transaction, so a crash leaves either nothing or everything. Later starts find the marker and do nothing.
/// </summary>
public sealed class Bootstrapper(ConnectionFactory connections, TimeProvider time)
{
    private const string MarkerKey = "bootstrap.completed_at";

    /// <summary>Runs first-start setup. Returns the admin token the first time, and null on every later start.</summary>
    public async Task<string?> EnsureAsync(string orgName, string adminName, CancellationToken cancellationToken = default)
    {
        Names.Require("org", orgName);
        Names.Require("user", adminName);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7263536)", transaction: tx).ConfigureAwait(false);
        }

        var done = await connection.ExecuteScalarAsync<string?>("SELECT value FROM settings WHERE key = @MarkerKey", new { MarkerKey }, tx).ConfigureAwait(false);
        if (done is not null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var at = Time.Ms(now);
        var orgId = Ids.New("org");
        var userId = Ids.New("usr");
        await connection.ExecuteAsync("INSERT INTO orgs (id, name, display_name, created_at) VALUES (@orgId, @orgName, @orgName, @at)", new { orgId, orgName, at }, tx).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO users (id, name, display_name, is_site_admin, created_at) VALUES (@userId, @adminName, @adminName, 1, @at)",
            new { userId, adminName, at }, tx).ConfigureAwait(false);
        await connection.ExecuteAsync("INSERT INTO org_members (org_id, user_id, role, created_at) VALUES (@orgId, @userId, 'owner', @at)", new { orgId, userId, at }, tx).ConfigureAwait(false);
        var token = await TokenStore.InsertAsync(connection, tx, userId, "admin (first start)", now, null).ConfigureAwait(false);
        await connection.ExecuteAsync("INSERT INTO settings (key, value) VALUES (@MarkerKey, @value)", new { MarkerKey, value = now.ToString("O") }, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return token.Secret;
    }

    /// <summary>
    /// Mints a new token for a site administrator, for operators who lost the first one. Needs direct access to
    /// the database (the data folder or its connection string), which is the proof of authority.
    /// </summary>
    public async Task<string> IssueAdminTokenAsync(string? adminName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var userId = await connection.QuerySingleOrDefaultAsync<string>(
            "SELECT id FROM users WHERE is_site_admin = 1 AND disabled_at IS NULL AND (CAST(@adminName AS TEXT) IS NULL OR name = CAST(@adminName AS TEXT)) ORDER BY created_at LIMIT 1",
            new { adminName }).ConfigureAwait(false)
            ?? throw WardenException.NotFound("Site administrator", adminName ?? "(any)");
        var token = await TokenStore.InsertAsync(connection, null, userId, "admin (issued offline)", time.GetUtcNow(), null).ConfigureAwait(false);
        return token.Secret;
    }
}
