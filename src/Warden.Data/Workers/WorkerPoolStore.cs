using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Workers;

/// <summary>
/// Worker pools and their join tokens. Any member of the org reads pools; owners and admins create and delete them and
/// manage tokens. Join tokens are <c>wjt_</c> + 43 base62 characters (256 bits), stored as SHA-256 with a display prefix
/// like API tokens, with expiry and revocation; the secret is returned once, by <see cref="CreateTokenAsync"/>.
/// </summary>
public sealed class WorkerPoolStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>The marker every join token starts with; distinct from API tokens so neither works as the other.</summary>
    public const string TokenMarker = "wjt_";

    /// <summary>The longest lifetime a join token may be given.</summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(366);

    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsedWritten = new();

    private const string SelectPools =
        """
        SELECT p.id, p.org_id, p.name, p.description, p.labels, p.created_by, p.created_at,
               (SELECT COUNT(*) FROM workers w WHERE w.pool_id = p.id) AS workers,
               (SELECT COUNT(*) FROM worker_join_tokens t WHERE t.pool_id = p.id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > @now)) AS active_tokens
        FROM worker_pools p
        """;

    /// <summary>Creates a pool; 409 when the name is taken in the org.</summary>
    public async Task<WorkerPool> CreateAsync(Actor actor, string org, string name, string? description, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken = default)
    {
        Names.Require("pool", name);
        var text = Names.RequireText("description", description, 500, allowEmpty: true);
        var set = Labels.Require(labels);
        WorkerPool pool;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            pool = new WorkerPool(Ids.New("pool"), access.OrgId, name, text, set, actor.Name, time.GetUtcNow(), 0, 0);
            try
            {
                await connection.ExecuteAsync(
                    "INSERT INTO worker_pools (id, org_id, name, description, labels, created_by, created_at) VALUES (@Id, @OrgId, @Name, @Description, @labels, @CreatedBy, @at)",
                    new { pool.Id, pool.OrgId, pool.Name, pool.Description, labels = Labels.ToJson(set), pool.CreatedBy, at = Time.Ms(pool.CreatedAt) }).ConfigureAwait(false);
            }
            catch (DbException e) when (UniqueViolation.Is(e))
            {
                throw WardenException.Conflict($"A pool named '{name}' already exists in '{access.OrgName}'.");
            }
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, pool.OrgId, "pool.create", "pool", name,
            new Dictionary<string, string?> { ["description"] = text, ["labels"] = Labels.Format(set) }), cancellationToken).ConfigureAwait(false);
        return pool;
    }

    /// <summary>Creates the pool unless it exists; for first-start setup (<c>warden up</c>'s local pool). Returns the pool either way.</summary>
    public async Task<WorkerPool> EnsureAsync(Actor actor, string org, string name, string? description, CancellationToken cancellationToken = default)
    {
        try
        {
            return await GetAsync(actor, org, name, cancellationToken).ConfigureAwait(false);
        }
        catch (WardenException e) when (e.Kind == WardenErrorKind.NotFound && e.Message.StartsWith("Pool", StringComparison.Ordinal))
        {
            try
            {
                return await CreateAsync(actor, org, name, description, null, cancellationToken).ConfigureAwait(false);
            }
            catch (WardenException c) when (c.Kind == WardenErrorKind.Conflict)
            {
                return await GetAsync(actor, org, name, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The org's pools, by name.</summary>
    public async Task<IReadOnlyList<WorkerPool>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<PoolRow>(SelectPools + " WHERE p.org_id = @OrgId ORDER BY p.name",
            new { access.OrgId, now = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false);
        return rows.Select(r => r.ToPool()).ToList();
    }

    /// <summary>One pool, or 404.</summary>
    public async Task<WorkerPool> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await FindAsync(connection, access, name).ConfigureAwait(false)).ToPool();
    }

    /// <summary>Deletes a pool with its tokens and worker records; 409 while any of its workers is connected.</summary>
    public async Task DeleteAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            var pool = await FindAsync(connection, access, name).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var connected = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM workers WHERE pool_id = @Id AND state IN ('online', 'draining')", new { pool.Id }).ConfigureAwait(false);
            if (connected > 0)
            {
                throw WardenException.Conflict($"Pool '{name}' has {connected} connected worker(s); drain them and revoke its tokens first.");
            }

            await connection.ExecuteAsync("DELETE FROM worker_pools WHERE id = @Id", new { pool.Id }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "pool.delete", "pool", name), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Mints a join token for <paramref name="pool"/>; the secret is in the result and nowhere else.</summary>
    public async Task<CreatedJoinToken> CreateTokenAsync(Actor actor, string org, string pool, string name, DateTimeOffset? expiresAt, CancellationToken cancellationToken = default)
    {
        name = Names.RequireText("token name", name, 100);
        var now = time.GetUtcNow();
        if (expiresAt is { } e && (e <= now || e - now > MaxTokenLifetime))
        {
            throw WardenException.Invalid($"A join token's expiry must be in the future and at most {MaxTokenLifetime.TotalDays:0} days away.");
        }

        var secret = TokenMarker + TokenSecrets.NewOpaque();
        JoinToken token;
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            var row = await FindAsync(connection, access, pool).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            token = new JoinToken(Ids.New("wjk"), pool, name, TokenSecrets.DisplayPrefix(secret), actor.Name, now, expiresAt, null, null);
            await connection.ExecuteAsync(
                "INSERT INTO worker_join_tokens (id, pool_id, name, prefix, token_hash, created_by, created_at, expires_at) VALUES (@Id, @poolId, @Name, @Prefix, @hash, @CreatedBy, @at, @exp)",
                new { token.Id, poolId = row.Id, token.Name, token.Prefix, hash = TokenSecrets.Hash(secret), token.CreatedBy, at = Time.Ms(now), exp = expiresAt is null ? (long?)null : Time.Ms(expiresAt.Value) }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "pool.token.create", "pool", pool,
            new Dictionary<string, string?> { ["token"] = token.Id, ["name"] = token.Name, ["prefix"] = token.Prefix, ["expiresAt"] = expiresAt?.ToString("O") }), cancellationToken).ConfigureAwait(false);
        return new CreatedJoinToken(token, secret);
    }

    /// <summary>The pool's join tokens, newest first, including revoked and expired ones (owners and admins).</summary>
    public async Task<IReadOnlyList<JoinToken>> ListTokensAsync(Actor actor, string org, string pool, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await FindAsync(connection, access, pool).ConfigureAwait(false);
        access.RequireManage();
        var tokens = await connection.QueryAsync<TokenRow>(
            "SELECT id, name, prefix, created_by, created_at, expires_at, revoked_at, last_used_at FROM worker_join_tokens WHERE pool_id = @Id ORDER BY created_at DESC, id DESC",
            new { row.Id }).ConfigureAwait(false);
        return tokens.Select(t => t.ToToken(pool)).ToList();
    }

    /// <summary>Revokes a join token of <paramref name="pool"/>; revoking twice is not an error, another pool's token is 404.</summary>
    public async Task<JoinToken> RevokeTokenAsync(Actor actor, string org, string pool, string id, CancellationToken cancellationToken = default)
    {
        TokenRow token;
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            var row = await FindAsync(connection, access, pool).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            token = await connection.QuerySingleOrDefaultAsync<TokenRow>(
                "SELECT id, name, prefix, created_by, created_at, expires_at, revoked_at, last_used_at FROM worker_join_tokens WHERE id = @id AND pool_id = @poolId",
                new { id, poolId = row.Id }).ConfigureAwait(false) ?? throw WardenException.NotFound("Join token", id);
            if (token.RevokedAt is not null)
            {
                return token.ToToken(pool);
            }

            token.RevokedAt = Time.Ms(time.GetUtcNow());
            await connection.ExecuteAsync("UPDATE worker_join_tokens SET revoked_at = @RevokedAt WHERE id = @Id AND revoked_at IS NULL", new { token.RevokedAt, token.Id }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "pool.token.revoke", "pool", pool,
            new Dictionary<string, string?> { ["token"] = token.Id, ["name"] = token.Name }), cancellationToken).ConfigureAwait(false);
        return token.ToToken(pool);
    }

    /// <summary>Checks a join token presented by a connecting worker (no actor: the token is the credential).</summary>
    public async Task<JoinTokenCheck> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(TokenMarker, StringComparison.Ordinal) || secret.Length > 200)
        {
            return JoinTokenCheck.Fail("The token is not a worker join token (wjt_...).");
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AuthRow>(
            """
            SELECT t.id, t.expires_at, t.revoked_at, p.id AS pool_id, p.name AS pool_name, o.id AS org_id, o.name AS org_name
            FROM worker_join_tokens t JOIN worker_pools p ON p.id = t.pool_id JOIN orgs o ON o.id = p.org_id
            WHERE t.token_hash = @hash
            """,
            new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (row is null)
        {
            return JoinTokenCheck.Fail("The join token is not valid.");
        }

        if (row.RevokedAt is not null)
        {
            return JoinTokenCheck.Fail("The join token has been revoked.");
        }

        if (row.ExpiresAt is { } exp && Time.At(exp) <= now)
        {
            return JoinTokenCheck.Fail("The join token has expired.");
        }

        if (!_lastUsedWritten.TryGetValue(row.Id, out var written) || now - written >= LastUsedResolution)
        {
            _lastUsedWritten[row.Id] = now;
            await connection.ExecuteAsync("UPDATE worker_join_tokens SET last_used_at = @at WHERE id = @Id", new { at = Time.Ms(now), row.Id }).ConfigureAwait(false);
        }

        return JoinTokenCheck.Ok(new JoinTokenIdentity(row.Id, row.PoolId, row.PoolName, row.OrgId, row.OrgName));
    }

    /// <summary>True when the token is still usable (neither revoked nor expired); for connected workers re-checked after a revocation.</summary>
    public async Task<bool> IsActiveAsync(string tokenId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AuthRow>(
            "SELECT id, expires_at, revoked_at FROM worker_join_tokens WHERE id = @tokenId", new { tokenId }).ConfigureAwait(false);
        return row is not null && row.RevokedAt is null && (row.ExpiresAt is null || Time.At(row.ExpiresAt.Value) > time.GetUtcNow());
    }

    private async Task<PoolRow> FindAsync(DbConnection connection, OrgAccess access, string name) =>
        await connection.QuerySingleOrDefaultAsync<PoolRow>(SelectPools + " WHERE p.org_id = @OrgId AND p.name = @name",
            new { access.OrgId, name, now = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false)
        ?? throw WardenException.NotFound("Pool", name);

    private sealed class PoolRow
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Description { get; set; } = string.Empty;
        public string Labels { get; set; } = "{}";
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long Workers { get; set; }
        public long ActiveTokens { get; set; }

        public WorkerPool ToPool() => new(Id, OrgId, Name, Description, Data.Workers.Labels.FromJson(Labels), CreatedBy, Time.At(CreatedAt), (int)Workers, (int)ActiveTokens);
    }

    private sealed class TokenRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Prefix { get; set; } = string.Empty;
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public JoinToken ToToken(string pool) => new(Id, pool, Name, Prefix, CreatedBy, Time.At(CreatedAt), Time.At(ExpiresAt), Time.At(RevokedAt), Time.At(LastUsedAt));
    }

    private sealed class AuthRow
    {
        public string Id { get; set; } = string.Empty;
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public string PoolId { get; set; } = string.Empty;
        public string PoolName { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string OrgName { get; set; } = string.Empty;
    }
}
