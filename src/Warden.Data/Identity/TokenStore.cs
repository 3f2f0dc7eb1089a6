using System.Collections.Concurrent;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Security;

namespace Warden.Data.Identity;

/// <summary>
/// API tokens: random secrets shown once, stored as SHA-256 with a display prefix, with expiry, revocation and
/// last-used time. A user manages their own tokens; site administrators may revoke anyone's.
/// </summary>
public sealed class TokenStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    // last_used_at is written at most once a minute per token so that authentication stays a read.
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsedWritten = new();

    /// <summary>Longest lifetime a token may be given.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    /// <summary>Creates a token for the actor. <paramref name="expiresAt"/> null means no expiry.</summary>
    public async Task<CreatedToken> CreateAsync(Actor actor, string name, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        Names.RequireText("token name", name, 100);
        RequireUser(actor);
        var now = time.GetUtcNow();
        if (expiresAt is { } e && (e <= now || e - now > MaxLifetime))
        {
            throw WardenException.Invalid($"A token's expiry must be in the future and at most {MaxLifetime.TotalDays:0} days away.");
        }

        CreatedToken created;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            created = await InsertAsync(connection, null, actor.UserId, name.Trim(), now, expiresAt).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, AuditDrafts.SiteOrg, "token.create", "token", created.Token.Id,
            new Dictionary<string, string?> { ["name"] = created.Token.Name, ["prefix"] = created.Token.Prefix, ["expiresAt"] = expiresAt?.ToString("O") }), cancellationToken).ConfigureAwait(false);
        return created;
    }

    /// <summary>Inserts a token row for a user; used by <see cref="CreateAsync"/> and first-start setup.</summary>
    internal static async Task<CreatedToken> InsertAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? tx, string userId, string name, DateTimeOffset now, DateTimeOffset? expiresAt)
    {
        var secret = TokenSecrets.NewToken();
        var token = new ApiToken(Ids.New("tok"), name, TokenSecrets.DisplayPrefix(secret), now, expiresAt, null, null);
        await connection.ExecuteAsync(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, created_at, expires_at) VALUES (@Id, @userId, @Name, @Prefix, @hash, @at, @exp)",
            new { token.Id, userId, token.Name, token.Prefix, hash = TokenSecrets.Hash(secret), at = Time.Ms(now), exp = expiresAt is null ? (long?)null : Time.Ms(expiresAt.Value) },
            tx).ConfigureAwait(false);
        return new CreatedToken(token, secret);
    }

    /// <summary>The actor's tokens, newest first, including revoked and expired ones.</summary>
    public async Task<IReadOnlyList<ApiToken>> ListAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TokenRow>(
            "SELECT id, name, prefix, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE user_id = @UserId ORDER BY created_at DESC, id DESC",
            new { actor.UserId }).ConfigureAwait(false);
        return rows.Select(r => r.ToToken()).ToList();
    }

    /// <summary>Revokes a token by id. Revoking twice is not an error; another user's token is 404.</summary>
    public async Task<ApiToken> RevokeAsync(Actor actor, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT id, user_id, name, prefix, created_at, expires_at, revoked_at, last_used_at FROM api_tokens WHERE id = @id",
            new { id }).ConfigureAwait(false);
        if (row is null || (row.UserId != actor.UserId && !actor.IsSiteAdmin))
        {
            throw WardenException.NotFound("Token", id);
        }

        if (row.RevokedAt is null)
        {
            row.RevokedAt = Time.Ms(time.GetUtcNow());
            await connection.ExecuteAsync(
                "UPDATE api_tokens SET revoked_at = @RevokedAt WHERE id = @Id AND revoked_at IS NULL", new { row.RevokedAt, row.Id }).ConfigureAwait(false);
            await _audit.RecordAsync(AuditDrafts.For(actor, AuditDrafts.SiteOrg, "token.revoke", "token", row.Id,
                new Dictionary<string, string?> { ["name"] = row.Name, ["owner"] = row.UserId }), cancellationToken).ConfigureAwait(false);
        }

        return row.ToToken();
    }

    /// <summary>Finds the actor a bearer secret belongs to, or why it cannot be used.</summary>
    public async Task<AuthResult> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(TokenSecrets.TokenPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return AuthResult.Fail("The token is not a Warden API token.");
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AuthRow>(
            """
            SELECT t.id, t.expires_at, t.revoked_at, u.id AS user_id, u.name AS user_name, u.is_site_admin, u.disabled_at
            FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = @hash
            """,
            new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (row is null)
        {
            return AuthResult.Fail("The token is not valid.");
        }

        if (row.RevokedAt is not null)
        {
            return AuthResult.Fail("The token has been revoked.");
        }

        if (row.ExpiresAt is { } exp && Time.At(exp) <= now)
        {
            return AuthResult.Fail("The token has expired.");
        }

        if (row.DisabledAt is not null)
        {
            return AuthResult.Fail("The token's user is disabled.");
        }

        if (!_lastUsedWritten.TryGetValue(row.Id, out var written) || now - written >= LastUsedResolution)
        {
            _lastUsedWritten[row.Id] = now;
            await connections.WriteAsync(
                (c, tx) => c.ExecuteAsync("UPDATE api_tokens SET last_used_at = @at WHERE id = @Id", new { at = Time.Ms(now), row.Id }, tx),
                cancellationToken).ConfigureAwait(false);
        }

        return AuthResult.Ok(new Actor(ActorKind.User, row.UserId, row.UserName, row.IsSiteAdmin != 0, row.Id));
    }

    private static void RequireUser(Actor actor)
    {
        if (actor.Kind != ActorKind.User)
        {
            throw WardenException.Forbidden("Only users own API tokens.");
        }
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = string.Empty;
        public string UserId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Prefix { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public ApiToken ToToken() => new(Id, Name, Prefix, Time.At(CreatedAt), Time.At(ExpiresAt), Time.At(RevokedAt), Time.At(LastUsedAt));
    }

    private sealed class AuthRow
    {
        public string Id { get; set; } = string.Empty;
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public string UserId { get; set; } = string.Empty;
        public string UserName { get; set; } = string.Empty;
        public long IsSiteAdmin { get; set; }
        public long? DisabledAt { get; set; }
    }
}
