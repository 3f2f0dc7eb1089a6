using Warden.Data;
using Warden.Data.Git;
using Warden.Protocol;

namespace Warden.Server.Git;

/// <summary>
/// What the session runner needs from Git hosts: the credential a worker clones and pushes with
/// (<see cref="MintSessionCredential"/>) and the pull request at the end (<see cref="OpenPullRequestAsync"/>), each
/// for a repository resolved by <see cref="RepositoryStore.ResolveAsync"/>. One instance per server; it owns the HTTP
/// connections to the hosts.
/// </summary>
public sealed class GitProviders : IDisposable
{
    /// <summary>What a session records when its repository is plain Git, where there is no pull request to open.</summary>
    public const string NoPullRequestForPlainGit = "pushed, no pull request for plain Git";

    private readonly HttpClient _http;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, IGitProvider> _providers;

    /// <summary>Creates the providers over one HTTP client (<paramref name="handler"/> replaces the socket handler in tests).</summary>
    public GitProviders(TimeProvider time, HttpMessageHandler? handler = null, TimeSpan? timeout = null)
    {
        _time = time;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            MaxResponseContentBufferSize = 4 * 1024 * 1024,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("Warden/" + (typeof(GitProviders).Assembly.GetName().Version?.ToString(3) ?? "0"));
        var api = new GitApiClient(_http);
        _providers = new IGitProvider[] { new GitHubProvider(api), new GitLabProvider(api), new GiteaProvider(api), new PlainGitProvider() }
            .ToDictionary(p => p.Kind, StringComparer.Ordinal);
    }

    /// <summary>The provider for a connection kind (<see cref="GitNames.Kinds"/>).</summary>
    public IGitProvider For(string kind) =>
        _providers.TryGetValue(kind, out var provider) ? provider : throw WardenException.Invalid($"Unknown Git connection kind '{kind}'.");

    /// <summary>
    /// Opens a pull (merge) request from <paramref name="head"/> (the pushed <c>warden/&lt;session&gt;</c> branch) into
    /// <paramref name="base"/> with the repository connection's token; returns the one already open for the same
    /// branches when there is one, and null for plain Git (record <see cref="NoPullRequestForPlainGit"/>). Errors are
    /// <see cref="WardenException"/>s: validation (no token, no project path), upstream (the host's status and message,
    /// never the token).
    /// </summary>
    public Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        return For(repository.Kind).OpenPullRequestAsync(repository, head, @base, title, body, ct);
    }

    /// <summary>
    /// The credential the worker clones and pushes <paramref name="repository"/> with, or null when none is needed or
    /// usable: no connection, no token, or a clone URL that is not HTTP(S) (SSH uses the worker host's own keys; local
    /// paths need nothing). Basic authentication with the connection's token as the password and the user name the
    /// host expects (GitHub <c>x-access-token</c>, GitLab <c>oauth2</c>, otherwise the connection's user name).
    /// </summary>
    /// <remarks>
    /// This hands the worker the connection's stored token with <see cref="SessionCredential.ExpiresAt"/> as a hint
    /// (now + <paramref name="lifetime"/>): the worker forgets it when the session ends, but the host would accept it
    /// for as long as the token itself lives. Minting truly short-lived, repository-scoped tokens (GitHub App
    /// installation tokens, GitLab project access tokens) is the documented next step (docs/repositories.md).
    /// </remarks>
    public SessionCredential? MintSessionCredential(ResolvedRepository repository, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        if (repository.Connection is not { Credential: { Length: > 0 } token } connection || !GitNames.IsHttp(repository.CloneUrl))
        {
            return null;
        }

        return new SessionCredential
        {
            Kind = CredentialKinds.Basic,
            Username = GitNames.CloneUsername(connection.Kind, connection.Username),
            Secret = token,
            ExpiresAt = _time.GetUtcNow() + lifetime,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
