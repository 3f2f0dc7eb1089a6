using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>One Git host's pull-request API (GitHub, GitLab, Gitea/Forgejo), or plain Git, which has none.</summary>
public interface IGitProvider
{
    /// <summary>The connection kind this provider serves (<see cref="GitNames.Kinds"/>).</summary>
    string Kind { get; }

    /// <summary>
    /// Opens a pull request from <paramref name="head"/> into <paramref name="base"/> of <paramref name="repository"/>
    /// with the connection's token. When one is already open for the same branches, returns that one
    /// (<see cref="PullRequestInfo.Created"/> false), so a retried or resumed session never opens two. Returns null for
    /// plain Git, which has no pull requests.
    /// </summary>
    /// <exception cref="Data.WardenException">
    /// Validation: the repository has no project path or its connection no token. Upstream: the host refused (its
    /// message and status, never the token) or could not be reached.
    /// </exception>
    Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default);
}
