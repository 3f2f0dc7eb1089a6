using System.Data.Common;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Git;

/// <summary>
/// The repositories of an org that agent sessions work on, each with the Git connection (if any) whose token clones,
/// pushes and opens pull requests. Owners and admins add and remove them; every member of the org reads them. The
/// server resolves a repository with its decrypted credential through <see cref="ResolveAsync"/> or
/// <see cref="LoadResolvedAsync"/>; nothing else returns a credential.
/// </summary>
public sealed class RepositoryStore(ConnectionFactory connections, SecretBox secrets, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>Adds a repository, or replaces every setting of the one with the same name.</summary>
    public async Task<GitRepository> PutAsync(Actor actor, string org, GitRepositorySpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = GitNames.RequireRepositoryName(spec.Name);
        var cloneUrl = GitNames.RequireCloneUrl(spec.CloneUrl);
        var branch = GitNames.RequireBranch(string.IsNullOrWhiteSpace(spec.DefaultBranch) ? GitNames.DefaultBranch : spec.DefaultBranch);
        var connectionName = string.IsNullOrWhiteSpace(spec.Connection) ? null : GitNames.RequireConnectionName(spec.Connection);

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
            GitConnectionStore.Row? gitConnection = null;
            if (connectionName is not null)
            {
                gitConnection = await GitConnectionStore.SelectAsync(connection, tx, orgId, connectionName).ConfigureAwait(false)
                    ?? throw WardenException.Invalid($"Unknown Git connection '{connectionName}': add it first (warden git connection set {connectionName} ...).");
            }

            var kind = gitConnection?.Kind ?? GitNames.PlainGit;
            var project = ProjectPath(kind, spec.ProjectPath, cloneUrl);
            var existing = await SelectAsync(connection, tx, "r.org_id = @orgId AND r.name = @name", new { orgId, name }).ConfigureAwait(false);
            created = existing is null;
            var values = new { id = existing?.Id ?? Ids.New("repo"), orgId, name, connectionId = gitConnection?.Id, cloneUrl, branch, project, by = actor.Name, now };
            try
            {
                await connection.ExecuteAsync(created
                    ? """
                      INSERT INTO repositories (id, org_id, name, connection_id, clone_url, default_branch, project_path, created_by, created_at, updated_at)
                      VALUES (@id, @orgId, @name, @connectionId, @cloneUrl, @branch, @project, @by, @now, @now)
                      """
                    : "UPDATE repositories SET connection_id = @connectionId, clone_url = @cloneUrl, default_branch = @branch, project_path = @project, updated_at = @now WHERE id = @id",
                    values, tx).ConfigureAwait(false);
            }
            catch (DbException e) when (UniqueViolation.Is(e))
            {
                throw WardenException.Conflict($"A repository named '{name}' was added at the same time; try again.");
            }

            row = (await SelectAsync(connection, tx, "r.id = @id", new { values.id }).ConfigureAwait(false))!;
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var repository = row.ToRepository();
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, created ? "repo.create" : "repo.update", "repository", row.Id,
            new Dictionary<string, string?>
            {
                ["name"] = name, ["cloneUrl"] = cloneUrl, ["connection"] = connectionName, ["kind"] = repository.Kind,
                ["defaultBranch"] = branch, ["project"] = repository.ProjectPath,
            }), cancellationToken).ConfigureAwait(false);
        return repository;
    }

    /// <summary>The org's repositories, by name.</summary>
    public async Task<IReadOnlyList<GitRepository>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE r.org_id = @OrgId ORDER BY r.name", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToRepository()).ToList();
    }

    /// <summary>One repository by name.</summary>
    public async Task<GitRepository> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await SelectAsync(connection, null, "r.org_id = @orgId AND r.name = @name", new { orgId = access.OrgId, name }).ConfigureAwait(false);
        return row?.ToRepository() ?? throw WardenException.NotFound("Repository", name);
    }

    /// <summary>Removes a repository from Warden (the repository itself, on its host, is untouched).</summary>
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
            var row = await SelectAsync(connection, tx, "r.org_id = @orgId AND r.name = @name", new { orgId, name }).ConfigureAwait(false)
                ?? throw WardenException.NotFound("Repository", name);
            id = row.Id;
            await connection.ExecuteAsync("DELETE FROM repositories WHERE id = @id", new { id }, tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "repo.delete", "repository", id,
            new Dictionary<string, string?> { ["name"] = name }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The repository <paramref name="name"/> of <paramref name="org"/> with its connection and decrypted credential,
    /// for a session that <paramref name="actor"/> starts (any member of the org may; whether they may start a task on
    /// it is the policy engine's <c>task.create</c> decision). For the server's own use: the result must never be
    /// logged or returned to a caller. 404 when the actor cannot see the org or the repository does not exist.
    /// </summary>
    public async Task<ResolvedRepository> ResolveAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await SelectAsync(connection, null, "r.org_id = @orgId AND r.name = @name", new { orgId = access.OrgId, name }).ConfigureAwait(false);
        return row is null ? throw WardenException.NotFound("Repository", name) : Resolve(row);
    }

    /// <summary>
    /// Like <see cref="ResolveAsync"/> without an actor, by org id: for work the server resumes on its own (a session
    /// continuing after a restart). The result must never be logged or returned to a caller.
    /// </summary>
    public async Task<ResolvedRepository> LoadResolvedAsync(string orgId, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await SelectAsync(connection, null, "r.org_id = @orgId AND r.name = @name", new { orgId, name }).ConfigureAwait(false);
        return row is null ? throw WardenException.NotFound("Repository", name) : Resolve(row);
    }

    private ResolvedRepository Resolve(Row row)
    {
        ResolvedGitConnection? connection = null;
        if (row.ConnectionId is not null)
        {
            var credential = row.Credential is null
                ? null
                : System.Text.Encoding.UTF8.GetString(secrets.Open(row.Credential, GitConnectionStore.Purpose(row.ConnectionId)));
            connection = new ResolvedGitConnection(row.ConnectionId, row.ConnectionName!, row.ConnectionKind!, row.ApiUrl, row.Username, credential);
        }

        return new ResolvedRepository(row.Id, row.OrgId, row.Name, row.CloneUrl, row.DefaultBranch, row.ProjectPath, connection);
    }

    private static string? ProjectPath(string kind, string? given, string cloneUrl)
    {
        if (!GitNames.HasPullRequests(kind))
        {
            return string.IsNullOrWhiteSpace(given)
                ? null
                : throw WardenException.Invalid("A project path is for repositories on GitHub, GitLab or Gitea (pull requests); this repository's connection has none.");
        }

        var path = string.IsNullOrWhiteSpace(given) ? GitNames.DeriveProjectPath(cloneUrl) : given;
        return path is null
            ? throw WardenException.Invalid($"The {kind} project path cannot be read from the clone URL '{cloneUrl}'; give it (--project owner/repo).")
            : GitNames.RequireProjectPath(kind, path);
    }

    private const string SelectSql =
        """
        SELECT r.id, r.org_id, r.name, r.connection_id, c.name AS connection_name, c.kind AS connection_kind, c.api_url, c.username, c.credential,
               r.clone_url, r.default_branch, r.project_path, r.created_by, r.created_at, r.updated_at
        FROM repositories r LEFT JOIN git_connections c ON c.id = r.connection_id
        """;

    private static Task<Row?> SelectAsync(DbConnection connection, DbTransaction? tx, string where, object parameters) =>
        connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE {where}", parameters, tx);

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string? ConnectionId { get; set; }
        public string? ConnectionName { get; set; }
        public string? ConnectionKind { get; set; }
        public string? ApiUrl { get; set; }
        public string? Username { get; set; }
        public byte[]? Credential { get; set; }
        public string CloneUrl { get; set; } = string.Empty;
        public string DefaultBranch { get; set; } = string.Empty;
        public string? ProjectPath { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public GitRepository ToRepository() => new(Id, Name, ConnectionName, ConnectionKind ?? GitNames.PlainGit, CloneUrl, DefaultBranch, ProjectPath,
            CreatedBy, Time.At(CreatedAt), Time.At(UpdatedAt));
    }
}
