using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Warden.Data;
using Warden.Data.Git;
using Warden.Protocol;
using Warden.ScriptedGit;
using Warden.Server.Git;
using Warden.Testing;

namespace Warden.IntegrationTests.Git;

/// <summary>
/// The real Git providers (<see cref="GitProviders"/>) against the scripted host speaking the GitHub, GitLab and
/// Gitea pull-request APIs: what they open, what they return when one is open already, and how they fail.
/// </summary>
public sealed class GitProviderTests : IAsyncLifetime
{
    private const string Token = "glpat-provider-secret-0123456789";
    private const string Project = "acme/api";
    private readonly FakeTime _time = new();
    private ScriptedGitServer _host = null!;
    private GitProviders _providers = null!;

    public static TheoryData<string> Kinds => new() { GitNames.GitHub, GitNames.GitLab, GitNames.Gitea };

    public async Task InitializeAsync()
    {
        _host = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = Token });
        await _host.CreateRepositoryAsync(Project, new Dictionary<string, string> { ["src/calc.py"] = "def add(a, b):\n    return a - b\n" });
        await GitAsync(_host.RepositoryPath(Project), "branch", "warden/s-1", "main");
        await GitAsync(_host.RepositoryPath(Project), "branch", "warden/s-2", "main");
        _providers = new GitProviders(_time, timeout: TimeSpan.FromSeconds(20));
    }

    public async Task DisposeAsync()
    {
        _providers.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Open_ReturnsTheNumberAndWebAddress_AndTheHostRecordsHeadBaseTitleAndBody(string kind)
    {
        var pr = await _providers.OpenPullRequestAsync(Repository(kind), "warden/s-1", "main", "  Fix add()  ", "Done by Warden.\n\nSession s-1.");

        pr.ShouldNotBeNull();
        var recorded = _host.PullRequests.ShouldHaveSingleItem();
        recorded.Api.ShouldBe(Api(kind));
        (recorded.Project, recorded.Head, recorded.Base, recorded.Title, recorded.Body, recorded.Open)
            .ShouldBe((Project, "warden/s-1", "main", "Fix add()", "Done by Warden.\n\nSession s-1.", true));
        (pr.Number, pr.Url, pr.Head, pr.Base, pr.Created).ShouldBe((1, recorded.Url, "warden/s-1", "main", true));
        pr.Url.ShouldBe(new Uri(_host.BaseAddress, kind switch
        {
            GitNames.GitHub => "acme/api/pull/1",
            GitNames.GitLab => "acme/api/-/merge_requests/1",
            _ => "acme/api/pulls/1",
        }));
        pr.State.ShouldBe(kind == GitNames.GitLab ? "opened" : "open");
    }

    [Fact]
    public async Task Open_SendsEachHostItsOwnAuthenticationAndHeaders()
    {
        await _providers.OpenPullRequestAsync(Repository(GitNames.GitHub), "warden/s-1", "main", "t", "b");
        await _providers.OpenPullRequestAsync(Repository(GitNames.GitLab), "warden/s-2", "main", "t", "b");
        await _host.CreateRepositoryAsync("acme/web", new Dictionary<string, string> { ["a"] = "a\n" });
        await GitAsync(_host.RepositoryPath("acme/web"), "branch", "warden/s-3", "main");
        await _providers.OpenPullRequestAsync(Repository(GitNames.Gitea, project: "acme/web"), "warden/s-3", "main", "t", "b");

        var (github, gitlab, gitea) = (_host.ApiRequests[0], _host.ApiRequests[1], _host.ApiRequests[2]);
        (github.Method, github.Path, github.Status).ShouldBe(("POST", "/api/v3/repos/acme/api/pulls", 201));
        github.Headers["authorization"].ShouldBe("Bearer " + Token);
        github.Headers["accept"].ShouldBe("application/vnd.github+json");
        github.Headers["x-github-api-version"].ShouldBe("2022-11-28");
        github.Headers["user-agent"].ShouldStartWith("Warden/");
        (gitlab.Method, gitlab.Path, gitlab.Status).ShouldBe(("POST", "/api/v4/projects/acme%2Fapi/merge_requests", 201));
        gitlab.Headers["private-token"].ShouldBe(Token);
        gitlab.Headers.ContainsKey("authorization").ShouldBeFalse();
        (gitea.Method, gitea.Path, gitea.Status).ShouldBe(("POST", "/api/v1/repos/acme/web/pulls", 201));
        gitea.Headers["authorization"].ShouldBe("token " + Token);
        _host.ApiRequests.Count.ShouldBe(3);
    }

    [Fact]
    public async Task GitLab_OpensAMergeRequestInANestedGroup_WithThePathEncodedAsOneSegment()
    {
        await _host.CreateRepositoryAsync("platform/backend/billing", new Dictionary<string, string> { ["a"] = "a\n" });
        await GitAsync(_host.RepositoryPath("platform/backend/billing"), "branch", "warden/s-9", "main");

        var mr = await _providers.OpenPullRequestAsync(Repository(GitNames.GitLab, project: "platform/backend/billing"), "warden/s-9", "main", "t", "b");

        mr.ShouldNotBeNull().Url.ShouldBe(new Uri(_host.BaseAddress, "platform/backend/billing/-/merge_requests/1"));
        _host.ApiRequests.ShouldHaveSingleItem().Path.ShouldBe("/api/v4/projects/platform%2Fbackend%2Fbilling/merge_requests");
        _host.PullRequests.ShouldHaveSingleItem().Project.ShouldBe("platform/backend/billing");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAgain_WhileOneIsOpen_ReturnsThatOne_AndOpensNoDuplicate(string kind)
    {
        var repo = Repository(kind);
        var first = await _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "First", "body");
        // A newer one for another branch: the lookup must pick the pull request of these branches, not the newest.
        var other = await _providers.OpenPullRequestAsync(repo, "warden/s-2", "main", "Other", "body");

        var again = await _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "First, retried", "body");

        (first!.Number, other!.Number).ShouldBe((1, 2));
        again.ShouldNotBeNull();
        (again.Number, again.Url, again.Head, again.Base, again.Created).ShouldBe((1, first.Url, "warden/s-1", "main", false));
        _host.PullRequests.Select(p => (p.Number, p.Head, p.Title)).ShouldBe([(1, "warden/s-1", "First"), (2, "warden/s-2", "Other")]);
        // The create was refused as a duplicate, then the open one was looked up.
        _host.ApiRequests.Skip(2).Select(r => r.Method).ShouldBe(["POST", "GET"]);
        _host.ApiRequests[2].Status.ShouldBe(kind == GitNames.GitHub ? 422 : 409);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task OpenAgain_AfterTheOpenOneWasClosed_OpensANewOne_ThenReturnsTheNewOne(string kind)
    {
        var repo = Repository(kind);
        var first = await _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "First", "body");
        _host.ClosePullRequest(Project, first!.Number).ShouldBeTrue();

        var second = await _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "Second", "body");
        var third = await _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "Third", "body");

        (second!.Number, second.Created).ShouldBe((2, true));
        second.Url.ShouldNotBe(first.Url);
        (third!.Number, third.Created).ShouldBe((2, false));
        _host.PullRequests.Select(p => (p.Number, p.Title, p.Open)).ShouldBe([(1, "First", false), (2, "Second", true)]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task BadToken_IsAnUpstreamError_NamingTheHostsAnswer_WithoutAnyToken(string kind)
    {
        const string wrong = "ghp_wrong-token-9876543210";

        var e = await Should.ThrowAsync<WardenException>(
            _providers.OpenPullRequestAsync(Repository(kind, token: wrong), "warden/s-1", "main", "t", "b"));

        e.Kind.ShouldBe(WardenErrorKind.Upstream);
        e.Message.ShouldContain(ProviderName(kind) + " refused to open a");
        e.Message.ShouldContain("(401 Unauthorized)");
        e.Message.ShouldContain(kind switch
        {
            GitNames.GitHub => "Bad credentials",
            GitNames.GitLab => "401 Unauthorized",
            _ => "user does not exist",
        });
        e.Message.ShouldContain("Check the connection's token.");
        e.Message.ShouldNotContain(wrong);
        e.Message.ShouldNotContain(Token);
        _host.PullRequests.ShouldBeEmpty();
        _host.RefusedCount.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AHostThatEchoesTheToken_HasItScrubbedFromTheError(string kind)
    {
        // Some proxies and hosts repeat the request's credentials in an error; the message must not carry them on.
        using var providers = new GitProviders(_time, new EchoingHandler());

        var e = await Should.ThrowAsync<WardenException>(providers.OpenPullRequestAsync(Repository(kind), "warden/s-1", "main", "t", "b"));

        e.Kind.ShouldBe(WardenErrorKind.Upstream);
        e.Message.ShouldContain("(403 Forbidden): token *** may not write");
        e.Message.ShouldNotContain(Token);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UnknownRepository_IsAnUpstreamError_SayingWhereAndWhatToCheck(string kind)
    {
        var e = await Should.ThrowAsync<WardenException>(
            _providers.OpenPullRequestAsync(Repository(kind, project: "acme/nope"), "warden/s-1", "main", "t", "b"));

        e.Kind.ShouldBe(WardenErrorKind.Upstream);
        e.Message.ShouldContain($"{ProviderName(kind)} refused to open a {(kind == GitNames.GitLab ? "merge" : "pull")} request on acme/nope from warden/s-1 into main (404 Not Found)");
        e.Message.ShouldContain(kind switch
        {
            GitNames.GitHub => "Not Found",
            GitNames.GitLab => "404 Project Not Found",
            _ => "The target couldn't be found.",
        });
        e.Message.ShouldContain("Check the repository's project path");
        _host.PullRequests.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task UnknownBranch_IsAnUpstreamError_NamingTheBranches(string kind)
    {
        var unknownHead = await Should.ThrowAsync<WardenException>(
            _providers.OpenPullRequestAsync(Repository(kind), "warden/never-pushed", "main", "t", "b"));
        var unknownBase = await Should.ThrowAsync<WardenException>(
            _providers.OpenPullRequestAsync(Repository(kind), "warden/s-1", "trunk", "t", "b"));

        foreach (var e in new[] { unknownHead, unknownBase })
        {
            e.Kind.ShouldBe(WardenErrorKind.Upstream);
            e.Message.ShouldNotContain(Token);
        }

        unknownHead.Message.ShouldContain("from warden/never-pushed into main");
        unknownBase.Message.ShouldContain("from warden/s-1 into trunk");
        switch (kind)
        {
            case GitNames.GitHub:
                unknownHead.Message.ShouldContain("(422 Unprocessable Entity): Validation Failed; head invalid");
                unknownBase.Message.ShouldContain("Validation Failed; base invalid");
                break;
            case GitNames.GitLab:
                unknownHead.Message.ShouldContain("Source branch \"warden/never-pushed\" does not exist");
                unknownBase.Message.ShouldContain("Target branch \"trunk\" does not exist");
                break;
            default:
                unknownHead.Message.ShouldContain("(404 Not Found)");
                break;
        }

        _host.PullRequests.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AnApiUrlWithNothingListening_IsAClearUpstreamError(string kind)
    {
        var port = FreePort();
        var repo = Repository(kind, apiUrl: $"http://127.0.0.1:{port}/");

        var e = await Should.ThrowAsync<WardenException>(_providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "t", "b"));

        e.Kind.ShouldBe(WardenErrorKind.Upstream);
        e.Message.ShouldStartWith($"{ProviderName(kind)} at http://127.0.0.1:{port} could not be reached: ");
        e.Message.ShouldContain("refused");
        e.Message.ShouldNotContain(Token);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task AHostThatNeverAnswers_IsAnUpstreamErrorAfterTheTimeout_NotAHang(string kind)
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // Connections complete in the backlog, and nothing ever answers them.
        var apiUrl = $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/";
        using var providers = new GitProviders(_time, timeout: TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        var e = await Should.ThrowAsync<WardenException>(
            providers.OpenPullRequestAsync(Repository(kind, apiUrl: apiUrl), "warden/s-1", "main", "t", "b"));

        clock.Stop();
        e.Kind.ShouldBe(WardenErrorKind.Upstream);
        e.Message.ShouldBe($"{ProviderName(kind)} at {apiUrl.TrimEnd('/')} did not answer within 1 seconds.");
        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task CancellingTheCaller_IsACancellation_NotAnUpstreamError()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var repo = Repository(GitNames.GitHub, apiUrl: $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/api/v3/");
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<OperationCanceledException>(_providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "t", "b", cts.Token));
    }

    [Fact]
    public async Task PlainGit_OpensNoPullRequest_AndCallsNoHost()
    {
        var withoutConnection = new ResolvedRepository("repo_1", "org_1", "calc", _host.CloneUrl(Project).ToString(), "main", null, null);
        var plainConnection = withoutConnection with
        {
            Connection = new ResolvedGitConnection("gcn_2", "internal", GitNames.PlainGit, null, "deploy", Token),
        };

        (await _providers.OpenPullRequestAsync(withoutConnection, "warden/s-1", "main", "t", "b")).ShouldBeNull();
        (await _providers.OpenPullRequestAsync(plainConnection, "warden/s-1", "main", "t", "b")).ShouldBeNull();

        withoutConnection.Kind.ShouldBe(GitNames.PlainGit);
        _host.ApiRequests.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Open_WithoutTokenProjectPathOrTitle_IsAValidationError_BeforeAnyRequest(string kind)
    {
        var noToken = await Should.ThrowAsync<WardenException>(_providers.OpenPullRequestAsync(Repository(kind, token: null), "warden/s-1", "main", "t", "b"));
        var noProject = await Should.ThrowAsync<WardenException>(
            _providers.OpenPullRequestAsync(Repository(kind) with { ProjectPath = null }, "warden/s-1", "main", "t", "b"));
        var noTitle = await Should.ThrowAsync<WardenException>(_providers.OpenPullRequestAsync(Repository(kind), "warden/s-1", "main", " ", "b"));
        var badBranch = await Should.ThrowAsync<WardenException>(_providers.OpenPullRequestAsync(Repository(kind), "warden/s-1..x", "main", "t", "b"));

        foreach (var e in new[] { noToken, noProject, noTitle, badBranch })
        {
            e.Kind.ShouldBe(WardenErrorKind.Validation);
        }

        noToken.Message.ShouldBe($"Git connection 'host' has no token; opening a pull request on {ProviderName(kind)} needs one.");
        noProject.Message.ShouldStartWith($"Repository 'acme/api' has no project path on {ProviderName(kind)}");
        noTitle.Message.ShouldBe("A pull request needs a title.");
        badBranch.Message.ShouldBe("Invalid branch name 'warden/s-1..x'.");
        _host.ApiRequests.ShouldBeEmpty();
    }

    [Fact]
    public async Task Open_ForAnUnknownKind_IsAValidationError()
    {
        var repo = Repository(GitNames.GitHub) with { Connection = new ResolvedGitConnection("gcn_1", "host", "svn", null, null, Token) };

        var e = await Should.ThrowAsync<WardenException>(() => _providers.OpenPullRequestAsync(repo, "warden/s-1", "main", "t", "b"));

        (e.Kind, e.Message).ShouldBe((WardenErrorKind.Validation, "Unknown Git connection kind 'svn'."));
    }

    [Theory]
    [InlineData(GitNames.GitHub, null, "x-access-token")]
    [InlineData(GitNames.GitLab, null, "oauth2")]
    [InlineData(GitNames.Gitea, "ada", "ada")]
    [InlineData(GitNames.Gitea, null, "warden")]
    [InlineData(GitNames.PlainGit, "deploy", "deploy")]
    public async Task MintSessionCredential_IsBasicAuthWithTheUserNameTheHostExpects_AndTheToken_AndGitAcceptsIt(string kind, string? username, string expected)
    {
        await using var host = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = Token, Username = expected });
        var cloneUrl = await host.CreateRepositoryAsync(Project, new Dictionary<string, string> { ["a"] = "a\n" });
        var repo = new ResolvedRepository("repo_1", "org_1", Project, cloneUrl.ToString(), "main", Project,
            new ResolvedGitConnection("gcn_1", "host", kind, null, username, Token));

        var credential = _providers.MintSessionCredential(repo, TimeSpan.FromMinutes(30));

        credential.ShouldNotBeNull();
        (credential.Kind, credential.Username, credential.Secret).ShouldBe((CredentialKinds.Basic, expected, Token));
        credential.ExpiresAt.ShouldBe(_time.GetUtcNow() + TimeSpan.FromMinutes(30));
        credential.ToString().ShouldNotContain(Token);

        // What git sends with it: the host serves the refs to this user name and token, and refuses another name.
        var ok = await InfoRefsAsync(cloneUrl, credential.Username!, credential.Secret);
        var wrongName = await InfoRefsAsync(cloneUrl, expected + "-not", credential.Secret);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadAsStringAsync()).ShouldContain("refs/heads/main");
        wrongName.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public void MintSessionCredential_IsNull_WithoutAConnectionOrToken_OrForACloneUrlThatIsNotHttp()
    {
        var https = "https://git.example.com/acme/api.git";
        var connection = new ResolvedGitConnection("gcn_1", "host", GitNames.GitHub, GitNames.DefaultGitHubApiUrl, null, Token);
        ResolvedRepository Repo(string url, ResolvedGitConnection? c) => new("repo_1", "org_1", Project, url, "main", Project, c);

        _providers.MintSessionCredential(Repo(https, connection), TimeSpan.FromMinutes(5)).ShouldNotBeNull();
        _providers.MintSessionCredential(Repo(https, null), TimeSpan.FromMinutes(5)).ShouldBeNull();
        _providers.MintSessionCredential(Repo(https, connection with { Credential = null }), TimeSpan.FromMinutes(5)).ShouldBeNull();
        _providers.MintSessionCredential(Repo(https, connection with { Credential = string.Empty }), TimeSpan.FromMinutes(5)).ShouldBeNull();
        _providers.MintSessionCredential(Repo("ssh://git@git.example.com/acme/api.git", connection), TimeSpan.FromMinutes(5)).ShouldBeNull();
        _providers.MintSessionCredential(Repo("/srv/git/api.git", connection), TimeSpan.FromMinutes(5)).ShouldBeNull();
        _providers.MintSessionCredential(Repo("file:///srv/git/api.git", connection), TimeSpan.FromMinutes(5)).ShouldBeNull();
        Should.Throw<ArgumentOutOfRangeException>(() => _providers.MintSessionCredential(Repo(https, connection), TimeSpan.Zero));
    }

    // A repository on the scripted host through a connection of kind, with the API URL the store would save.
    private ResolvedRepository Repository(string kind, string? token = Token, string project = Project, string? apiUrl = null)
    {
        apiUrl ??= (kind == GitNames.GitHub ? _host.GitHubApiUrl : _host.BaseAddress).ToString();
        return new ResolvedRepository("repo_1", "org_1", "acme/api", _host.CloneUrl(project).ToString(), "main", project,
            new ResolvedGitConnection("gcn_1", "host", kind, GitNames.NormalizeApiUrl(kind, apiUrl), null, token));
    }

    private static PullRequestApi Api(string kind) => kind switch
    {
        GitNames.GitHub => PullRequestApi.GitHub,
        GitNames.GitLab => PullRequestApi.GitLab,
        _ => PullRequestApi.Gitea,
    };

    private static string ProviderName(string kind) => kind switch
    {
        GitNames.GitHub => "GitHub",
        GitNames.GitLab => "GitLab",
        _ => "Gitea",
    };

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task<HttpResponseMessage> InfoRefsAsync(Uri cloneUrl, string username, string password)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, cloneUrl + "/info/refs?service=git-upload-pack");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(username + ":" + password)));
        var response = await http.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    private static async Task GitAsync(string gitDir, params string[] args)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("--git-dir=" + gitDir);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var git = Process.Start(start)!;
        var stderr = git.StandardError.ReadToEndAsync();
        await git.StandardOutput.ReadToEndAsync();
        await git.WaitForExitAsync();
        git.ExitCode.ShouldBe(0, await stderr);
    }

    // Answers every request 403 with the request's own credentials in the message, as a careless proxy might.
    private sealed class EchoingHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var presented = request.Headers.TryGetValues("PRIVATE-TOKEN", out var gitlab) ? gitlab.Single() : request.Headers.Authorization!.Parameter!;
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.Forbidden)
            {
                Content = new StringContent($"{{\"message\":\"token {presented} may not write\"}}", Encoding.UTF8, "application/json"),
            });
        }
    }
}
