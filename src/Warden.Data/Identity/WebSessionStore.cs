using Dapper;
using Warden.Data.Security;

namespace Warden.Data.Identity;

/// <summary>
/// Web sign-in sessions kept in the database (only the SHA-256 of the cookie value), so every replica accepts them,
/// a restart keeps people signed in, and signing out really ends the session.
/// </summary>
public sealed class WebSessionStore(ConnectionFactory connections, TimeProvider time)
{
    /// <summary>How long a web session lasts.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    /// <summary>Starts a session for the actor and returns the cookie value.</summary>
    public async Task<string> CreateAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        var secret = TokenSecrets.NewOpaque();
        var now = time.GetUtcNow();
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO web_sessions (id_hash, user_id, created_at, expires_at) VALUES (@hash, @UserId, @now, @exp)",
            new { hash = TokenSecrets.Hash(secret), actor.UserId, now = Time.Ms(now), exp = Time.Ms(now + Lifetime) }).ConfigureAwait(false);
        return secret;
    }

    /// <summary>The actor behind a cookie value, when the session is live.</summary>
    public async Task<Actor?> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (secret.Length is 0 or > 100)
        {
            return null;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            """
            SELECT u.id, u.name, u.is_site_admin, s.expires_at FROM web_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = @hash AND u.disabled_at IS NULL
            """,
            new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
        return row is null || Time.At(row.ExpiresAt) <= time.GetUtcNow()
            ? null
            : new Actor(ActorKind.User, row.Id, row.Name, row.IsSiteAdmin != 0);
    }

    /// <summary>Ends a session (sign-out). Unknown values are ignored.</summary>
    public async Task DeleteAsync(string secret, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync("DELETE FROM web_sessions WHERE id_hash = @hash", new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
    }

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public long IsSiteAdmin { get; set; }
        public long ExpiresAt { get; set; }
    }
}
