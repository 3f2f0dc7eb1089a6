namespace Warden.Data.Git;

/// <summary>
/// A connection to a Git host as the API shows it: the credential is never returned, only whether one is set
/// (<see cref="CredentialSet"/>).
/// </summary>
/// <param name="Id">Stable id (<c>gcn_...</c>).</param>
/// <param name="Name">Unique in the org, e.g. <c>github</c>.</param>
/// <param name="Kind"><c>github</c>, <c>gitlab</c>, <c>gitea</c> or <c>git</c> (see <see cref="GitNames.Kinds"/>).</param>
/// <param name="ApiUrl">The provider's API root (always ends in <c>/</c>); null for plain Git.</param>
/// <param name="Username">The user name for HTTP basic authentication when cloning and pushing, if set.</param>
/// <param name="CredentialSet">Whether a token is stored.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record GitConnection(
    string Id, string Name, string Kind, string? ApiUrl, string? Username, bool CredentialSet,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a caller sets on a connection. <see cref="Credential"/> null keeps the stored one; empty clears it.</summary>
/// <param name="Name">The connection's name.</param>
/// <param name="Kind"><c>github</c>, <c>gitlab</c>, <c>gitea</c> or <c>git</c>.</param>
/// <param name="ApiUrl">
/// GitHub: the REST root (default <c>https://api.github.com</c>; GitHub Enterprise Server <c>https://HOST/api/v3</c>).
/// GitLab and Gitea: the instance URL (<c>https://gitlab.example.com</c>); a trailing <c>/api/v4</c> or <c>/api/v1</c>
/// is accepted and removed. Plain Git: none.
/// </param>
/// <param name="Username">The user name for basic authentication on clone and push (see <see cref="GitNames.CloneUsername"/>).</param>
/// <param name="Credential">The token (personal, project or bot access token).</param>
public sealed record GitConnectionSpec(string Name, string Kind, string? ApiUrl = null, string? Username = null, string? Credential = null);

/// <summary>A repository agent sessions can work on.</summary>
/// <param name="Id">Stable id (<c>repo_...</c>).</param>
/// <param name="Name">Unique in the org, e.g. <c>acme/api</c>; may hold several <c>/</c>.</param>
/// <param name="Connection">The connection's name, or null for a public or local repository.</param>
/// <param name="Kind">The connection's kind, or <c>git</c> without a connection.</param>
/// <param name="CloneUrl">https, http, ssh or file URL without credentials in it.</param>
/// <param name="DefaultBranch">The branch tasks start from unless they name another.</param>
/// <param name="ProjectPath">The provider's path (<c>owner/repo</c>, <c>group/sub/project</c>), or null.</param>
/// <param name="CreatedBy">Who added it.</param>
/// <param name="CreatedAt">When it was added.</param>
/// <param name="UpdatedAt">When it last changed.</param>
public sealed record GitRepository(
    string Id, string Name, string? Connection, string Kind, string CloneUrl, string DefaultBranch, string? ProjectPath,
    string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>What a caller sets on a repository (a PUT replaces every field).</summary>
/// <param name="Name">The repository's name in Warden.</param>
/// <param name="CloneUrl">https, http, ssh or file URL, or an absolute path to a local bare repository.</param>
/// <param name="Connection">The connection to use, by name; null for none.</param>
/// <param name="DefaultBranch">Default <c>main</c>.</param>
/// <param name="ProjectPath">The provider's path; derived from the clone URL when omitted for GitHub, GitLab and Gitea.</param>
public sealed record GitRepositorySpec(string Name, string CloneUrl, string? Connection = null, string? DefaultBranch = null, string? ProjectPath = null);

/// <summary>
/// A connection with its decrypted credential, for the server's own use (minting a session's Git credential, opening a
/// pull request). Never logged, never returned over HTTP; <see cref="ToString"/> leaves the credential out.
/// </summary>
public sealed record ResolvedGitConnection(string Id, string Name, string Kind, string? ApiUrl, string? Username, string? Credential)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Kind}{(ApiUrl is null ? string.Empty : " " + ApiUrl)}, credential {(Credential is null ? "none" : "***")})";
}

/// <summary>
/// A repository with its connection and that connection's decrypted credential: what the session runner needs to hand
/// the worker a clone URL and credential, and to open the pull request. Internal to the server; see
/// <see cref="RepositoryStore.ResolveAsync"/>.
/// </summary>
public sealed record ResolvedRepository(
    string Id, string OrgId, string Name, string CloneUrl, string DefaultBranch, string? ProjectPath, ResolvedGitConnection? Connection)
{
    /// <summary>The provider kind: the connection's, or <c>git</c> (push only) without one.</summary>
    public string Kind => Connection?.Kind ?? GitNames.PlainGit;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({CloneUrl}, {(Connection is null ? "no connection" : "connection " + Connection)})";
}
