using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>Plain Git (a server without a pull-request API, or a local bare repository): the branch is pushed and that is all.</summary>
internal sealed class PlainGitProvider : IGitProvider
{
    /// <inheritdoc />
    public string Kind => GitNames.PlainGit;

    /// <inheritdoc />
    public Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default) =>
        Task.FromResult<PullRequestInfo?>(null);
}
