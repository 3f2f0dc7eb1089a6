using System.Data.Common;
using System.Text.Json;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;

namespace Warden.Data.Policy;

/// <summary>
/// Versioned policy sets per org. The caller checks a bundle (parse, validate, test) before <see cref="ActivateAsync"/>;
/// this store keeps versions, decides who may activate (owners and admins), and audits each activation with the
/// content hash. Any member may read the policies that govern them.
/// </summary>
public sealed class PolicyStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>
    /// Stores <paramref name="files"/> as the org's new active version, unless they equal the active one (then that
    /// version is returned and nothing is written).
    /// </summary>
    public async Task<(PolicyVersion Version, bool Created)> ActivateAsync(Actor actor, string org, IReadOnlyDictionary<string, string> files, string contentHash, string? message, CancellationToken cancellationToken = default)
    {
        var text = Names.RequireText("message", message, 500, allowEmpty: true);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        access.RequireManage();
        PolicyVersion created;
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            if (connections.Dialect == SqlDialect.Postgres)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7263538)", transaction: tx).ConfigureAwait(false);
            }

            var active = await ActiveRowAsync(connection, access.OrgId, tx).ConfigureAwait(false);
            if (active is not null && active.ContentHash == contentHash)
            {
                return (active.ToVersion(includeFiles: false), false);
            }

            var now = time.GetUtcNow();
            var version = (active?.Version ?? 0) + 1;
            await connection.ExecuteAsync(
                "INSERT INTO policy_versions (org_id, version, content_hash, files, message, created_by, created_at) VALUES (@OrgId, @version, @contentHash, @files, @text, @by, @at)",
                new { access.OrgId, version, contentHash, files = JsonSerializer.Serialize(files, PolicyJson.Default.IReadOnlyDictionaryStringString), text, by = actor.Name, at = Time.Ms(now) },
                tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            created = new PolicyVersion(version, contentHash, text, actor.Name, now, files);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, access.OrgId, "policy.activate", "policy_set", created.Version.ToString(System.Globalization.CultureInfo.InvariantCulture),
            new Dictionary<string, string?> { ["contentHash"] = contentHash, ["message"] = text, ["files"] = files.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) }), cancellationToken).ConfigureAwait(false);
        return (created, true);
    }

    /// <summary>The active version with its files, or null when the org uses Warden's defaults.</summary>
    public async Task<PolicyVersion?> GetActiveAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await ActiveRowAsync(connection, access.OrgId, null).ConfigureAwait(false))?.ToVersion(includeFiles: true);
    }

    /// <summary>One version with its files.</summary>
    public async Task<PolicyVersion> GetAsync(Actor actor, string org, long version, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(Select + " WHERE org_id = @OrgId AND version = @version", new { access.OrgId, version }).ConfigureAwait(false);
        return row?.ToVersion(includeFiles: true) ?? throw WardenException.NotFound("Policy version", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Every version, newest first, without files.</summary>
    public async Task<IReadOnlyList<PolicyVersion>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>(Select + " WHERE org_id = @OrgId ORDER BY version DESC", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToVersion(includeFiles: false)).ToList();
    }

    /// <summary>The org id behind a name the actor may see (for caches keyed by org).</summary>
    public async Task<(string OrgId, long? ActiveVersion)> GetActiveVersionNumberAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var version = await connection.ExecuteScalarAsync<long?>("SELECT MAX(version) FROM policy_versions WHERE org_id = @OrgId", new { access.OrgId }).ConfigureAwait(false);
        return (access.OrgId, version);
    }

    private const string Select = "SELECT version, content_hash, files, message, created_by, created_at FROM policy_versions";

    private static Task<Row?> ActiveRowAsync(DbConnection connection, string orgId, DbTransaction? tx) =>
        connection.QuerySingleOrDefaultAsync<Row?>(Select + " WHERE org_id = @orgId ORDER BY version DESC LIMIT 1", new { orgId }, tx);

    private sealed class Row
    {
        public long Version { get; set; }
        public string ContentHash { get; set; } = string.Empty;
        public string Files { get; set; } = "{}";
        public string Message { get; set; } = string.Empty;
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }

        public PolicyVersion ToVersion(bool includeFiles) => new(Version, ContentHash, Message, CreatedBy, Time.At(CreatedAt),
            includeFiles ? JsonSerializer.Deserialize(Files, PolicyJson.Default.IReadOnlyDictionaryStringString) : null);
    }
}
