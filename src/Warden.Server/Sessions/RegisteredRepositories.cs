using Warden.Data.Git;
using Warden.Data.Identity;
using Warden.Protocol;
using Warden.Server.Git;

namespace Warden.Server.Sessions;

/// <summary>Sessions' repositories from the org's registry (<c>warden repo add</c>), with pull requests through its Git connection.</summary>
public sealed class RegisteredRepositories(RepositoryStore repositories, GitProviders providers) : ISessionRepositories
{
    /// <inheritdoc />
    public async Task<SessionRepository> ResolveAsync(Actor actor, string org, string name, CancellationToken cancellationToken)
    {
        var repo = await repositories.ResolveAsync(actor, org, name, cancellationToken).ConfigureAwait(false);
        return new SessionRepository(repo.Name, repo.CloneUrl, repo.DefaultBranch, repo.Kind);
    }

    /// <inheritdoc />
    public async Task<SessionCredential?> CredentialAsync(string orgId, string name, TimeSpan lifetime, CancellationToken cancellationToken) =>
        providers.MintSessionCredential(await repositories.LoadResolvedAsync(orgId, name, cancellationToken).ConfigureAwait(false), lifetime);

    /// <inheritdoc />
    public async Task<string?> OpenPullRequestAsync(string orgId, string name, string head, string @base, string title, string body, CancellationToken cancellationToken)
    {
        var repo = await repositories.LoadResolvedAsync(orgId, name, cancellationToken).ConfigureAwait(false);
        var pr = await providers.OpenPullRequestAsync(repo, head, @base, title, body, cancellationToken).ConfigureAwait(false);
        return pr?.Url.ToString();
    }
}
