using System.Data.Common;
using System.Text;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Git;

/// <summary>
/// Connections to Git hosts per org. Tokens are sealed under the master key (AES-256-GCM, bound to the connection id)
/// and leave the store only through <see cref="RepositoryStore.ResolveAsync"/> and <see cref="RepositoryStore.LoadResolvedAsync"/>,
/// which the server alone calls; no API returns them. Owners and admins manage connections; every member of the org
/// (auditors and viewers too) may list them.
/// </summary>
public sealed class GitConnectionStore(ConnectionFactory connections, SecretBox secrets, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>Creates a connection, or replaces the settings of the one with the same name.</summary>
    public async Task<GitConnection> PutAsync(Actor actor, string org, GitConnectionSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = GitNames.RequireConnectionName(spec.Name);
        var kind = GitNames.RequireKind(spec.Kind);
        var apiUrl = GitNames.NormalizeApiUrl(kind, spec.ApiUrl);
        var username = GitNames.NormalizeUsername(spec.Username);
        if (spec.Credential is { Length: > 0 } c && (c.Length > 4096 || c.Any(char.IsControl) || c.Trim() != c))
        {
            throw WardenException.Invalid("Invalid credential: one token of at most 4096 characters, without spaces around it or control characters.");
        }

        var now = Time.Ms(time.GetUtcNow());
        string orgId;
        Row row;
        bool created;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var existing = await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false);
            created = existing is null;
            var id = existing?.Id ?? Ids.New("gcn");
            var credential = spec.Credential switch
            {
                null => existing?.Credential,
                "" => null,
                var secret => secrets.Seal(Encoding.UTF8.GetBytes(secret), Purpose(id)),
            };
            if (kind == GitNames.PlainGit && credential is not null && username is null)
            {
                throw WardenException.Invalid("A plain Git connection with a credential needs the user name the server expects with it (--username).");
            }

            try
            {
                if (created)
                {
                    await connection.ExecuteAsync(
                        """
                        INSERT INTO git_connections (id, org_id, name, kind, api_url, username, credential, created_by, created_at, updated_at)
                        VALUES (@id, @orgId, @name, @kind, @apiUrl, @username, @credential, @by, @now, @now)
                        """,
                        new { id, orgId, name, kind, apiUrl, username, credential, by = actor.Name, now }, tx).ConfigureAwait(false);
                }
                else
                {
                    await connection.ExecuteAsync(
                        "UPDATE git_connections SET kind = @kind, api_url = @apiUrl, username = @username, credential = @credential, updated_at = @now WHERE id = @id",
                        new { id, kind, apiUrl, username, credential, now }, tx).ConfigureAwait(false);
                }
            }
            catch (DbException e) when (UniqueViolation.Is(e))
            {
                throw WardenException.Conflict($"A Git connection named '{name}' was created at the same time; try again.");
            }

            row = (await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false))!;
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // The credential is a Secret field: recorded only as "changed", never its value.
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, created ? "git.connection.create" : "git.connection.update", "git_connection", row.Id,
            new Dictionary<string, string?>
            {
                ["name"] = name, ["kind"] = kind, ["apiUrl"] = apiUrl, ["username"] = username,
                ["credential"] = spec.Credential is null ? "unchanged" : spec.Credential.Length == 0 ? "cleared" : "changed",
            }), cancellationToken).ConfigureAwait(false);
        return row.ToConnection();
    }

    /// <summary>The org's connections, by name.</summary>
    public async Task<IReadOnlyList<GitConnection>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @OrgId ORDER BY name", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToConnection()).ToList();
    }

    /// <summary>One connection by name.</summary>
    public async Task<GitConnection> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await SelectAsync(connection, null, access.OrgId, name).ConfigureAwait(false);
        return row?.ToConnection() ?? throw WardenException.NotFound("Git connection", name);
    }

    /// <summary>Deletes a connection that no repository uses (409 naming them otherwise).</summary>
    public async Task DeleteAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        string orgId;
        string id;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var row = await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false) ?? throw WardenException.NotFound("Git connection", name);
            id = row.Id;
            var users = (await connection.QueryAsync<string>(
                "SELECT name FROM repositories WHERE connection_id = @id ORDER BY name", new { id }, tx).ConfigureAwait(false)).ToList();
            if (users.Count > 0)
            {
                var shown = string.Join(", ", users.Take(5)) + (users.Count > 5 ? $" and {users.Count - 5} more" : string.Empty);
                throw WardenException.Conflict($"Git connection '{name}' is used by repository(ies) {shown}; remove them or move them to another connection first.");
            }

            await connection.ExecuteAsync("DELETE FROM git_connections WHERE id = @id", new { id }, tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "git.connection.delete", "git_connection", id,
            new Dictionary<string, string?> { ["name"] = name }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The purpose a connection's credential is sealed under: a ciphertext copied to another row does not open.</summary>
    internal static string Purpose(string connectionId) => "git-connection-credential:" + connectionId;

    private const string SelectSql = "SELECT id, name, kind, api_url, username, credential, created_by, created_at, updated_at FROM git_connections";

    /// <summary>The row of connection <paramref name="name"/> in <paramref name="orgId"/>, or null.</summary>
    internal static Task<Row?> SelectAsync(DbConnection connection, DbTransaction? tx, string orgId, string name) =>
        connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE org_id = @orgId AND name = @name", new { orgId, name }, tx);

    /// <summary>A stored connection.</summary>
    internal sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Kind { get; set; } = string.Empty;
        public string? ApiUrl { get; set; }
        public string? Username { get; set; }
        public byte[]? Credential { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public GitConnection ToConnection() => new(Id, Name, Kind, ApiUrl, Username, Credential is not null, CreatedBy, Time.At(CreatedAt), Time.At(UpdatedAt));
    }
}
