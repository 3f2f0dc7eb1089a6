using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Warden.ScriptedGit.Hosting;

namespace Warden.ScriptedGit;

/// <summary>
/// A stand-in for Git hosts in tests and the demo: a Kestrel server that serves real Git smart HTTP for the bare
/// repositories under <see cref="Root"/> (clone, fetch and push with the git CLI, through <c>git http-backend</c>) and
/// speaks the pull-request APIs of GitHub, GitLab and Gitea/Forgejo, recording every pull request opened. With
/// <see cref="ScriptedGitOptions.Token"/> set, every request must carry the token. Start one per test with
/// <see cref="StartAsync"/>.
/// </summary>
public sealed class ScriptedGitServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PullRequestBook _book;
    private readonly bool _ownsRoot;
    private int _gitRequests;
    private int _refused;
    private int _disposed;

    private ScriptedGitServer(WebApplication app, PullRequestBook book, ScriptedGitOptions options, string root, bool ownsRoot)
    {
        _app = app;
        _book = book;
        _ownsRoot = ownsRoot;
        Options = options;
        Root = root;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal) + "/");
    }

    /// <summary>The options the server runs with.</summary>
    public ScriptedGitOptions Options { get; }

    /// <summary>The folder of bare repositories: <c>{Root}/{project}.git</c>.</summary>
    public string Root { get; }

    /// <summary>
    /// Where the server listens, e.g. <c>http://127.0.0.1:41234/</c>: also the instance URL for GitLab and Gitea
    /// connections (their APIs live under <c>api/v4/</c> and <c>api/v1/</c>).
    /// </summary>
    public Uri BaseAddress { get; }

    /// <summary>The GitHub API root, <c>BaseAddress + "api/v3/"</c> (GitHub Enterprise Server's layout).</summary>
    public Uri GitHubApiUrl => new(BaseAddress, "api/v3/");

    /// <summary>Pull requests opened since start or <see cref="Clear"/>, oldest first (a copy).</summary>
    public IReadOnlyList<ScriptedPullRequest> PullRequests => _book.PullRequests;

    /// <summary>Requests to the pull-request APIs since start or <see cref="Clear"/>, oldest first (a copy).</summary>
    public IReadOnlyList<ReceivedApiRequest> ApiRequests => _book.Requests;

    /// <summary>Git smart-HTTP requests answered (authorised ones).</summary>
    public int GitRequestCount => _gitRequests;

    /// <summary>Requests refused for a missing or wrong token (Git and APIs).</summary>
    public int RefusedCount => _refused;

    /// <summary>Starts a server; throws <see cref="ArgumentException"/> listing every problem with <paramref name="options"/>.</summary>
    public static async Task<ScriptedGitServer> StartAsync(ScriptedGitOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ScriptedGitOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("The scripted Git server options are not valid: " + string.Join(" ", errors), nameof(options));
        }

        var ownsRoot = options.Root is null;
        var root = options.Root ?? Path.Combine(Path.GetTempPath(), "warden-scripted-git-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        ScriptedGitOptions.TryParseListen(options.Listen, out var endpoint);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ScriptedGitServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(endpoint);
            kestrel.AddServerHeader = false;
            // Pushes of large packs stream through to http-backend.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));

        var book = new PullRequestBook();
        var app = builder.Build();
        ScriptedGitServer? server = null;
        var backend = new GitHttpBackend(options.GitExecutable, root);
        var apis = new PullRequestEndpoints(options, book, root, () => server!.BaseAddress);
        app.Run(ctx => server!.ServeAsync(ctx, backend, apis));
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        server = new ScriptedGitServer(app, book, options, root, ownsRoot);
        return server;
    }

    /// <summary>The folder of the bare repository <paramref name="project"/> (e.g. <c>acme/api</c>).</summary>
    public string RepositoryPath(string project) => Path.Combine(Root, RequireProject(project) + ".git");

    /// <summary>The clone URL of <paramref name="project"/>: <c>BaseAddress + project + ".git"</c>.</summary>
    public Uri CloneUrl(string project) => new(BaseAddress, RequireProject(project) + ".git");

    /// <summary>
    /// Creates the bare repository <paramref name="project"/> whose <paramref name="branch"/> has one commit holding
    /// <paramref name="files"/> (relative path to content) and returns its clone URL.
    /// </summary>
    public async Task<Uri> CreateRepositoryAsync(string project, IReadOnlyDictionary<string, string> files, string branch = "main", CancellationToken ct = default)
    {
        await BareRepository.CreateAsync(RepositoryPath(project), files, branch, git: Options.GitExecutable, ct: ct).ConfigureAwait(false);
        return CloneUrl(project);
    }

    /// <summary>A file of <paramref name="project"/> at <paramref name="revision"/>, or null when either is missing.</summary>
    public Task<string?> ReadFileAsync(string project, string revision, string path, CancellationToken ct = default) =>
        BareRepository.ReadFileAsync(RepositoryPath(project), revision, path, Options.GitExecutable, ct);

    /// <summary>The branches of <paramref name="project"/>.</summary>
    public Task<IReadOnlyList<string>> BranchesAsync(string project, CancellationToken ct = default) =>
        BareRepository.BranchesAsync(RepositoryPath(project), Options.GitExecutable, ct);

    /// <summary>Closes a pull request (as a reviewer would); false when there is none with that number.</summary>
    public bool ClosePullRequest(string project, int number) => _book.Close(project, number);

    /// <summary>Forgets the pull requests and API requests recorded so far.</summary>
    public void Clear() => _book.Clear();

    /// <summary>
    /// Waits until at least <paramref name="count"/> pull requests have been opened and returns them; throws
    /// <see cref="TimeoutException"/> when <paramref name="timeout"/> passes first.
    /// </summary>
    public Task<IReadOnlyList<ScriptedPullRequest>> WaitForPullRequestsAsync(int count, TimeSpan timeout, CancellationToken ct = default) =>
        _book.WaitAsync(count, timeout, ct);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Already stopping.
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        if (_ownsRoot)
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
            catch (UnauthorizedAccessException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    /// <summary>The password of a <c>Basic</c> authorization header, or null.</summary>
    internal static string? BasicPassword(string authorization) => Basic(authorization)?.Password;

    private async Task ServeAsync(HttpContext ctx, GitHttpBackend backend, PullRequestEndpoints apis)
    {
        // The raw target keeps %2F inside a segment (GitLab's project ids) that the decoded path would lose.
        var target = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        var q = target.IndexOf('?', StringComparison.Ordinal);
        var rawPath = q < 0 ? target : target[..q];
        var query = q < 0 ? string.Empty : target[(q + 1)..];
        var segments = rawPath.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToList();

        if (segments is ["api", var version, ..] && version is "v3" or "v4" or "v1")
        {
            var api = version switch { "v3" => PullRequestApi.GitHub, "v4" => PullRequestApi.GitLab, _ => PullRequestApi.Gitea };
            await apis.ServeAsync(ctx, api, rawPath, query, segments[2..]).ConfigureAwait(false);
            if (ctx.Response.StatusCode == StatusCodes.Status401Unauthorized)
            {
                Interlocked.Increment(ref _refused);
            }

            return;
        }

        if (segments.Any(s => s is "." or ".." || s.Contains('\\', StringComparison.Ordinal)))
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var user = GitUser(ctx.Request.Headers.Authorization.ToString());
        if (user is null)
        {
            Interlocked.Increment(ref _refused);
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"Scripted Git\"";
            return;
        }

        Interlocked.Increment(ref _gitRequests);
        await backend.ServeAsync(ctx, "/" + string.Join('/', segments), query, user).ConfigureAwait(false);
    }

    // Who a Git request authenticates as, or null when it must be refused.
    private string? GitUser(string authorization)
    {
        if (Options.Token is null)
        {
            return Basic(authorization)?.User ?? "anonymous";
        }

        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization[7..].Trim() == Options.Token)
        {
            return "bearer";
        }

        return Basic(authorization) is { } basic && basic.Password == Options.Token && (Options.Username is null || basic.User == Options.Username)
            ? basic.User
            : null;
    }

    private static (string User, string Password)? Basic(string authorization)
    {
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : (text[..colon], text[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string RequireProject(string project)
    {
        var trimmed = project?.Trim('/') ?? string.Empty;
        if (trimmed.Length == 0 || trimmed.Split('/').Any(s => s.Length == 0 || s is "." or ".." || s.Contains('\\', StringComparison.Ordinal)))
        {
            throw new ArgumentException($"'{project}' is not a repository path such as acme/api.", nameof(project));
        }

        return trimmed.EndsWith(".git", StringComparison.Ordinal) ? trimmed[..^4] : trimmed;
    }
}
