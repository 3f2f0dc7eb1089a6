namespace Warden.Client.Contracts;

/// <summary>A connection to a Git host. The token is never returned: only whether one is set.</summary>
/// <param name="Name">Unique in the org.</param>
/// <param name="Kind"><c>github</c>, <c>gitlab</c>, <c>gitea</c> or <c>git</c>.</param>
/// <param name="ApiUrl">The API root (GitHub) or instance URL (GitLab, Gitea); null for plain Git.</param>
/// <param name="Username">The user name sent with the token on clone and push, when set.</param>
/// <param name="CredentialSet">Whether a token is stored.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record GitConnectionDto(string Name, string Kind, string? ApiUrl, string? Username, bool CredentialSet, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Creates or replaces a connection. <see cref="Credential"/> null keeps the stored token, empty clears it.</summary>
/// <param name="Kind"><c>github</c>, <c>gitlab</c>, <c>gitea</c> or <c>git</c>.</param>
/// <param name="ApiUrl">GitHub: default https://api.github.com; GitLab and Gitea: the instance URL (required); plain Git: none.</param>
/// <param name="Username">The user name for clone and push (required for plain Git with a token).</param>
/// <param name="Credential">The token.</param>
public sealed record PutGitConnectionRequest(string Kind, string? ApiUrl = null, string? Username = null, string? Credential = null);

/// <summary>A repository agent sessions can work on.</summary>
/// <param name="Name">Unique in the org, e.g. <c>acme/api</c>.</param>
/// <param name="CloneUrl">https, http, ssh or file URL (or an absolute path), never with credentials.</param>
/// <param name="Connection">The Git connection used, or null.</param>
/// <param name="Kind">The connection's kind, or <c>git</c> without one.</param>
/// <param name="DefaultBranch">Where tasks start unless they name another branch.</param>
/// <param name="Project">The host's project path (<c>owner/repo</c>, <c>group/project</c>), or null.</param>
/// <param name="CreatedBy">Who added it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record RepositoryDto(string Name, string CloneUrl, string? Connection, string Kind, string DefaultBranch, string? Project, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Adds or replaces a repository (every field; omitted ones take their defaults).</summary>
/// <param name="CloneUrl">Where to clone from.</param>
/// <param name="Connection">A Git connection of the org, by name; null for a public or local repository.</param>
/// <param name="DefaultBranch">Default <c>main</c>.</param>
/// <param name="Project">The host's project path; derived from the clone URL when omitted.</param>
public sealed record PutRepositoryRequest(string CloneUrl, string? Connection = null, string? DefaultBranch = null, string? Project = null);
