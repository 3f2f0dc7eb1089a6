using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Dapper;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Audit;

/// <summary>
/// Ingestion keys: per-org bearer secrets (<c>wik_</c> + 43 base62 characters) that let a machine sender (an OTLP log
/// exporter) append audit events to one org and do nothing else. Stored like API tokens: SHA-256 of the secret and a
/// display prefix. Owners and admins of the org manage them.
/// </summary>
public sealed partial class AuditIngestKeyStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>The marker every ingestion key starts with; distinct from API tokens so neither works as the other.</summary>
    public const string KeyPrefix = "wik_";

    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsedWritten = new();

    /// <summary>Creates a key in <paramref name="org"/>; the secret is in the result and nowhere else.</summary>
    public async Task<CreatedIngestKey> CreateAsync(Actor actor, string org, string name, string? vendor, CancellationToken cancellationToken = default)
    {
        name = Names.RequireText("ingestion key name", name, 100);
        vendor = string.IsNullOrWhiteSpace(vendor) ? "otlp" : vendor.Trim();
        if (!VendorPattern().IsMatch(vendor))
        {
            throw WardenException.Invalid("Invalid vendor: use 1-40 lower-case letters, digits, '.', '_' or '-'.");
        }

        var secret = KeyPrefix + TokenSecrets.NewOpaque();
        var now = time.GetUtcNow();
        AuditIngestKey key;
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            key = new AuditIngestKey(Ids.New("aik"), name, vendor, TokenSecrets.DisplayPrefix(secret), actor.Name, now, null, null);
            await connection.ExecuteAsync(
                "INSERT INTO audit_ingest_keys (id, org_id, name, vendor, prefix, key_hash, created_by, created_at) VALUES (@Id, @orgId, @Name, @Vendor, @Prefix, @hash, @CreatedBy, @at)",
                new { key.Id, orgId, key.Name, key.Vendor, key.Prefix, hash = TokenSecrets.Hash(secret), key.CreatedBy, at = now.ToUnixTimeMilliseconds() }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "audit.ingest_key.create", "ingest_key", key.Id,
            new Dictionary<string, string?> { ["name"] = key.Name, ["vendor"] = key.Vendor, ["prefix"] = key.Prefix }), cancellationToken).ConfigureAwait(false);
        return new CreatedIngestKey(key, secret);
    }

    /// <summary>The org's keys, newest first, including revoked ones.</summary>
    public async Task<IReadOnlyList<AuditIngestKey>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        access.RequireManage();
        var rows = await connection.QueryAsync<KeyRow>(
            "SELECT id, name, vendor, prefix, created_by, created_at, revoked_at, last_used_at FROM audit_ingest_keys WHERE org_id = @OrgId ORDER BY created_at DESC, id DESC",
            new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToKey()).ToList();
    }

    /// <summary>Revokes a key of <paramref name="org"/>; revoking twice is not an error, another org's key is 404.</summary>
    public async Task<AuditIngestKey> RevokeAsync(Actor actor, string org, string id, CancellationToken cancellationToken = default)
    {
        KeyRow row;
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            row = await connection.QuerySingleOrDefaultAsync<KeyRow>(
                "SELECT id, name, vendor, prefix, created_by, created_at, revoked_at, last_used_at FROM audit_ingest_keys WHERE id = @id AND org_id = @OrgId",
                new { id, access.OrgId }).ConfigureAwait(false) ?? throw WardenException.NotFound("Ingestion key", id);
            if (row.RevokedAt is not null)
            {
                return row.ToKey();
            }

            row.RevokedAt = time.GetUtcNow().ToUnixTimeMilliseconds();
            await connection.ExecuteAsync("UPDATE audit_ingest_keys SET revoked_at = @RevokedAt WHERE id = @Id AND revoked_at IS NULL", new { row.RevokedAt, row.Id }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "audit.ingest_key.revoke", "ingest_key", row.Id,
            new Dictionary<string, string?> { ["name"] = row.Name }), cancellationToken).ConfigureAwait(false);
        return row.ToKey();
    }

    /// <summary>
    /// The id of <paramref name="org"/> if the actor may import events into it (owners and admins); 404 for an org the
    /// actor cannot see, 403 for a lesser role.
    /// </summary>
    public async Task<string> RequireImporterAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        access.RequireManage();
        return access.OrgId;
    }

    /// <summary>The key and org a bearer secret belongs to, or null when it is unknown, revoked or not an ingestion key.</summary>
    public async Task<IngestKeyIdentity?> AuthenticateAsync(string secret, CancellationToken cancellationToken = default)
    {
        if (!secret.StartsWith(KeyPrefix, StringComparison.Ordinal) || secret.Length > 200)
        {
            return null;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<AuthRow>(
            """
            SELECT k.id, k.name, k.vendor, k.revoked_at, o.id AS org_id, o.name AS org_name
            FROM audit_ingest_keys k JOIN orgs o ON o.id = k.org_id WHERE k.key_hash = @hash
            """,
            new { hash = TokenSecrets.Hash(secret) }).ConfigureAwait(false);
        if (row is null || row.RevokedAt is not null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (!_lastUsedWritten.TryGetValue(row.Id, out var written) || now - written >= LastUsedResolution)
        {
            _lastUsedWritten[row.Id] = now;
            await connection.ExecuteAsync("UPDATE audit_ingest_keys SET last_used_at = @at WHERE id = @Id", new { at = now.ToUnixTimeMilliseconds(), row.Id }).ConfigureAwait(false);
        }

        return new IngestKeyIdentity(row.Id, row.Name, row.OrgId, row.OrgName, row.Vendor);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex VendorPattern();

    private sealed class KeyRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Vendor { get; set; } = string.Empty;
        public string Prefix { get; set; } = string.Empty;
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long? RevokedAt { get; set; }
        public long? LastUsedAt { get; set; }

        public AuditIngestKey ToKey() => new(Id, Name, Vendor, Prefix, CreatedBy, Time.At(CreatedAt), Time.At(RevokedAt), Time.At(LastUsedAt));
    }

    private sealed class AuthRow
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Vendor { get; set; } = string.Empty;
        public long? RevokedAt { get; set; }
        public string OrgId { get; set; } = string.Empty;
        public string OrgName { get; set; } = string.Empty;
    }
}
