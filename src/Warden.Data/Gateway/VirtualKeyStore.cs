using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Gateway;

/// <summary>
/// Virtual keys: the credentials tools use against the model gateway (<c>wvk_</c> + 43 base62 characters, stored
/// as SHA-256 with a display prefix, like API tokens). A key belongs to a user, a team or a named service and carries
/// its limits: allowed models, requests and tokens per minute, concurrency, budget, expiry, capture and inspection.
/// Owners and admins manage every key of the org and auditors see them; members create and see their own.
/// </summary>
public sealed class VirtualKeyStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>The marker every virtual key starts with.</summary>
    public const string KeyPrefix = "wvk_";

    /// <summary>Longest lifetime a key may be given.</summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(366);

    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsedWritten = new();

    /// <summary>Raised after a key changes (revocation), with the key id, so caches drop it at once.</summary>
    public event Action<string>? Changed;

    /// <summary>Creates a key; the secret is in the result and nowhere else.</summary>
    public async Task<CreatedVirtualKey> CreateAsync(Actor actor, string org, VirtualKeySpec spec, CancellationToken cancellationToken = default)
    {
        var name = Names.RequireText("key name", spec.Name, 100);
        var ownerKind = GatewayNames.RequireOneOf("owner kind", spec.OwnerKind, GatewayNames.OwnerKinds);
        var inspection = GatewayNames.RequireOneOf("inspection mode", spec.Inspection ?? "monitor", GatewayNames.InspectionModes);
        var period = GatewayNames.RequireOneOf("budget period", spec.BudgetPeriod ?? "total", GatewayNames.BudgetPeriods);
        var allowed = (spec.AllowedModels ?? []).Select(m => GatewayNames.RequireName("model name", m)).Distinct(StringComparer.Ordinal).ToList();
        RequirePositive("rpm", spec.Rpm);
        RequirePositive("tpm", spec.Tpm);
        RequirePositive("maxConcurrency", spec.MaxConcurrency);
        if (spec.BudgetUsd is { } b && (b < 0 || b > 10_000_000))
        {
            throw WardenException.Invalid("budgetUsd must be between 0 and 10000000.");
        }

        if (spec.SessionId is not null && actor.Kind != ActorKind.System)
        {
            // Only the session runner binds a key to a session: a person's key must not put words in an agent's mouth.
            throw WardenException.Forbidden("Only Warden's session runner creates keys for agent sessions.");
        }

        var captureDays = spec.CaptureDays ?? 30;
        if (captureDays is < 1 or > 3650)
        {
            throw WardenException.Invalid("captureDays must be between 1 and 3650.");
        }

        var now = time.GetUtcNow();
        if (spec.ExpiresAt is { } e && (e <= now || e - now > MaxLifetime))
        {
            throw WardenException.Invalid($"A key's expiry must be in the future and at most {MaxLifetime.TotalDays:0} days away.");
        }

        var secret = KeyPrefix + TokenSecrets.NewOpaque();
        string orgId;
        string? ownerId;
        string ownerName;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            orgId = access.OrgId;
            (ownerId, ownerName) = await ResolveOwnerAsync(connection, access, actor, ownerKind, spec.Owner).ConfigureAwait(false);
        }

        var row = await connections.WriteAsync(async (connection, tx) =>
        {
            var id = Ids.New("vk");
            await connection.ExecuteAsync(
                """
                INSERT INTO virtual_keys (id, org_id, name, prefix, key_hash, owner_kind, owner_id, owner_name, allowed_models, rpm, tpm, max_concurrency,
                    budget_micros, budget_period, capture, capture_days, inspection, expires_at, created_by, created_at, session_id)
                VALUES (@id, @orgId, @name, @prefix, @hash, @ownerKind, @ownerId, @ownerName, @allowed, @Rpm, @Tpm, @MaxConcurrency,
                    @budget, @period, @capture, @captureDays, @inspection, @expires, @by, @at, @sessionId)
                """,
                new
                {
                    id, orgId, name, prefix = DisplayPrefix(secret), hash = TokenSecrets.Hash(secret), ownerKind, ownerId, ownerName,
                    allowed = JsonSerializer.Serialize(allowed, Json), spec.Rpm, spec.Tpm, spec.MaxConcurrency,
                    budget = spec.BudgetUsd is { } usd ? (long?)Math.Round(usd * 1_000_000m) : null, period, capture = spec.Capture ? 1 : 0, captureDays, inspection,
                    expires = spec.ExpiresAt is null ? (long?)null : Time.Ms(spec.ExpiresAt.Value), by = actor.Name, at = Time.Ms(now), sessionId = spec.SessionId,
                }, tx).ConfigureAwait(false);
            return await connection.QuerySingleAsync<Row>($"{SelectSql} WHERE id = @id", new { id }, tx).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        var key = row.ToKey();
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.key.create", "virtual_key", key.Id, new Dictionary<string, string?>
        {
            ["name"] = key.Name, ["prefix"] = key.Prefix, ["owner"] = $"{key.OwnerKind}:{key.OwnerName}",
            ["allowedModels"] = string.Join(",", key.AllowedModels), ["rpm"] = Num(key.Rpm), ["tpm"] = Num(key.Tpm), ["maxConcurrency"] = Num(key.MaxConcurrency),
            ["budgetUsd"] = key.BudgetUsd?.ToString(CultureInfo.InvariantCulture), ["budgetPeriod"] = key.BudgetPeriod,
            ["capture"] = key.Capture ? "on" : "off", ["inspection"] = key.Inspection, ["expiresAt"] = key.ExpiresAt?.ToString("O"),
        }), cancellationToken).ConfigureAwait(false);
        return new CreatedVirtualKey(key, secret);
    }

    /// <summary>Keys the actor may see in the org, newest first: all for managers and auditors, their own for others.</summary>
    public async Task<IReadOnlyList<VirtualKey>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var all = SeesAll(access);
        var rows = await connection.QueryAsync<Row>(
            $"{SelectSql} WHERE org_id = @OrgId {(all ? string.Empty : "AND ((owner_kind = 'user' AND owner_id = @UserId) OR created_by = @Name)")} ORDER BY created_at DESC, id DESC",
            new { access.OrgId, actor.UserId, actor.Name }).ConfigureAwait(false);
        return rows.Select(r => r.ToKey()).ToList();
    }

    /// <summary>One key the actor may see, by id or name.</summary>
    public async Task<VirtualKey> GetAsync(Actor actor, string org, string idOrName, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await FindAsync(connection, access, actor, idOrName).ConfigureAwait(false)).ToKey();
    }

    /// <summary>Revokes a key; revoking twice is not an error.</summary>
    public async Task<VirtualKey> RevokeAsync(Actor actor, string org, string idOrName, CancellationToken cancellationToken = default)
    {
        string orgId;
        Row row;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            orgId = access.OrgId;
            row = await FindAsync(connection, access, actor, idOrName).ConfigureAwait(false);
            if (!access.Role.CanManage() && !IsOwn(row, actor))
            {
                throw WardenException.Forbidden("Only the key's owner or an org owner or admin may revoke it.");
            }

            if (row.RevokedAt is not null)
            {
                return row.ToKey();
            }

            row.RevokedAt = Time.Ms(time.GetUtcNow());
        }

        await connections.WriteAsync(
            (connection, tx) => connection.ExecuteAsync("UPDATE virtual_keys SET revoked_at = @RevokedAt WHERE id = @Id AND revoked_at IS NULL", new { row.RevokedAt, row.Id }, tx),
            cancellationToken).ConfigureAwait(false);

        Changed?.Invoke(row.Id);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.key.revoke", "virtual_key", row.Id,
            new Dictionary<string, string?> { ["name"] = row.Name, ["prefix"] = row.Prefix }), cancellationToken).ConfigureAwait(false);
        return row.ToKey();
    }

    /// <summary>
    /// The key a secret belongs to, with its org and limits, or null when the secret is not a known key. Revoked and
    /// expired keys are returned (the gateway says why they cannot be used).
    /// </summary>
    public async Task<VirtualKeyIdentity?> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(KeyPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return null;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<IdentityRow>(
            $"SELECT k.*, o.name AS org_name FROM virtual_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = @hash",
            new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
        if (row is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (!_lastUsedWritten.TryGetValue(row.Id, out var written) || now - written >= LastUsedResolution)
        {
            _lastUsedWritten[row.Id] = now;
            await connections.WriteAsync(
                (c, tx) => c.ExecuteAsync("UPDATE virtual_keys SET last_used_at = @at WHERE id = @Id", new { at = Time.Ms(now), row.Id }, tx),
                cancellationToken).ConfigureAwait(false);
        }

        var key = row.ToKey();
        return new VirtualKeyIdentity(key.Id, key.Name, row.OrgId, row.OrgName, key.OwnerKind, key.OwnerId, key.OwnerName,
            key.OwnerKind == "user" ? key.OwnerId : null, key.OwnerKind == "team" ? key.OwnerId : null, key.AllowedModels,
            key.Rpm, key.Tpm, key.MaxConcurrency, row.BudgetMicros, key.BudgetPeriod, key.Capture, key.CaptureDays, key.Inspection, key.ExpiresAt, key.RevokedAt,
            row.SessionId);
    }

    /// <summary>The display prefix of a key secret.</summary>
    public static string DisplayPrefix(string secret) => secret.Length > KeyPrefix.Length + 8 ? secret[..(KeyPrefix.Length + 8)] : secret;

    private static bool SeesAll(OrgAccess access) => access.Role.CanManage() || access.Role == Role.Auditor;

    private static bool IsOwn(Row row, Actor actor) => (row.OwnerKind == "user" && row.OwnerId == actor.UserId) || row.CreatedBy == actor.Name;

    private static async Task<Row> FindAsync(DbConnection connection, OrgAccess access, Actor actor, string idOrName)
    {
        var rows = (await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @OrgId AND (id = @idOrName OR name = @idOrName) ORDER BY created_at DESC",
            new { access.OrgId, idOrName }).ConfigureAwait(false)).ToList();
        var row = rows.FirstOrDefault(r => SeesAll(access) || IsOwn(r, actor));
        return row ?? throw WardenException.NotFound("Virtual key", idOrName);
    }

    private static async Task<(string? Id, string Name)> ResolveOwnerAsync(DbConnection connection, OrgAccess access, Actor actor, string kind, string? owner)
    {
        switch (kind)
        {
            case "user" when string.IsNullOrWhiteSpace(owner) || owner == actor.Name:
                if (actor.Kind != ActorKind.User)
                {
                    throw WardenException.Invalid("Name the user who owns the key.");
                }

                return (actor.UserId, actor.Name);
            case "user":
                access.RequireManage();
                var userId = await connection.QuerySingleOrDefaultAsync<string>(
                    "SELECT u.id FROM users u JOIN org_members m ON m.user_id = u.id WHERE m.org_id = @OrgId AND u.name = @owner", new { access.OrgId, owner }).ConfigureAwait(false);
                return (userId ?? throw WardenException.NotFound("User", owner!), owner!);
            case "team":
                access.RequireManage();
                var teamId = await connection.QuerySingleOrDefaultAsync<string>(
                    "SELECT id FROM teams WHERE org_id = @OrgId AND name = @owner", new { access.OrgId, owner }).ConfigureAwait(false);
                return (teamId ?? throw WardenException.NotFound("Team", owner ?? string.Empty), owner!);
            default:
                access.RequireManage();
                return (null, GatewayNames.RequireName("service name", owner));
        }
    }

    private static void RequirePositive(string what, int? value)
    {
        if (value is <= 0 or > 10_000_000)
        {
            throw WardenException.Invalid($"{what} must be a positive number.");
        }
    }

    private static string? Num(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private const string SelectSql = "SELECT * FROM virtual_keys";

    private class Row
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Prefix { get; set; } = string.Empty;
        public string OwnerKind { get; set; } = string.Empty;
        public string? OwnerId { get; set; }
        public string OwnerName { get; set; } = string.Empty;
        public string AllowedModels { get; set; } = "[]";
        public long? Rpm { get; set; }
        public long? Tpm { get; set; }
        public long? MaxConcurrency { get; set; }
        public long? BudgetMicros { get; set; }
        public string BudgetPeriod { get; set; } = "total";
        public long Capture { get; set; }
        public long CaptureDays { get; set; }
        public string Inspection { get; set; } = "monitor";
        public long? ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public VirtualKey ToKey() => new(Id, Name, Prefix, OwnerKind, OwnerId, OwnerName, JsonSerializer.Deserialize<List<string>>(AllowedModels, Json) ?? [],
            (int?)Rpm, (int?)Tpm, (int?)MaxConcurrency, BudgetMicros is { } m ? m / 1_000_000m : null, BudgetPeriod, Capture != 0, (int)CaptureDays, Inspection,
            Time.At(ExpiresAt), Time.At(RevokedAt), CreatedBy, Time.At(CreatedAt), Time.At(LastUsedAt));
    }

    private sealed class IdentityRow : Row
    {
        public string OrgName { get; set; } = string.Empty;

        public string? SessionId { get; set; }
    }
}
