using Warden.Data.Identity;
using Warden.Protocol;

namespace Warden.Server.Sessions;

/// <summary>A repository as a session needs it.</summary>
/// <param name="Name">Its name in the org (<c>acme/api</c>).</param>
/// <param name="CloneUrl">Where the worker clones it from (no credential in it).</param>
/// <param name="DefaultBranch">The branch tasks start from when they name none.</param>
/// <param name="Kind">The Git provider kind (<c>github</c>, <c>gitlab</c>, <c>gitea</c>, <c>git</c>).</param>
public sealed record SessionRepository(string Name, string CloneUrl, string DefaultBranch, string Kind);

/// <summary>
/// What agent sessions need from the repository registry and the Git providers: find a repository, mint the
/// session's Git credential (used by the worker outside the sandbox), and open the pull or merge request.
/// </summary>
public interface ISessionRepositories
{
    /// <summary>The repository named <paramref name="name"/> in the org, as <paramref name="actor"/> may see it; 404 when unknown.</summary>
    Task<SessionRepository> ResolveAsync(Actor actor, string org, string name, CancellationToken cancellationToken);

    /// <summary>The credential for one session's clone and push, or null when the repository needs none.</summary>
    Task<SessionCredential?> CredentialAsync(string orgId, string name, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>
    /// Opens (or finds the open) pull/merge request from <paramref name="head"/> into <paramref name="base"/>; returns
    /// its web address, or null for plain Git repositories, which get the branch only.
    /// </summary>
    Task<string?> OpenPullRequestAsync(string orgId, string name, string head, string @base, string title, string body, CancellationToken cancellationToken);
}
