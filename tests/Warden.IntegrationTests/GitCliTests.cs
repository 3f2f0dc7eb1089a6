using System.Text.Json;
using Warden.Client.Contracts;

namespace Warden.IntegrationTests;

/// <summary><c>warden repo</c> and <c>warden git connection</c>, run in-process against a real server.</summary>
public sealed class GitCliTests : IDisposable
{
    private const string Token = "ghp_clitestsecret0123456789abcdef";
    private readonly string _config = Path.Combine(Path.GetTempPath(), "warden-cli-git-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_config))
        {
            Directory.Delete(_config, true);
        }
    }

    private Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRunner.RunAsync(_config, args);

    [Fact]
    public async Task ConnectionsAndRepositories_AddListShowRemove_AndTheTokenIsNeverPrinted()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        var fromEnv = await CliRunner.RunWithAsync(_config, new Dictionary<string, string> { ["GH_TOKEN"] = Token }, null,
            "git", "connection", "set", "github", "--kind", "github", "--api-url", "https://ghe.example.com/api/v3/", "--credential-env", "GH_TOKEN");
        var fromStdin = await CliRunner.RunWithAsync(_config, null, Token + "\n",
            "git", "connection", "set", "internal", "--kind", "git", "--username", "warden", "--credential-stdin");
        var connections = await Run("git", "connection", "list");
        var connectionsJson = await Run("git", "connection", "list", "--json");
        var add = await Run("repo", "add", "acme/api", "--url", "https://ghe.example.com/acme/api.git", "--connection", "github", "--default-branch", "trunk");
        var addLocal = await Run("repo", "add", "calc", "--url", "file:///srv/git/calc.git");
        var list = await Run("repo", "list");
        var listJson = await Run("repo", "list", "--json");
        var show = await Run("repo", "show", "acme/api");
        var showJson = await Run("repo", "show", "calc", "--json");

        foreach (var (code, _, err) in new[] { fromEnv, fromStdin, connections, connectionsJson, add, addLocal, list, listJson, show, showJson })
        {
            code.ShouldBe(0, err);
        }

        foreach (var (_, stdout, stderr) in new[] { fromEnv, fromStdin, connections, connectionsJson })
        {
            (stdout + stderr).ShouldNotContain(Token);
        }

        fromEnv.Out.ShouldContain("github");
        fromEnv.Out.ShouldContain("set");
        var saved = JsonSerializer.Deserialize(connectionsJson.Out, WardenJsonContext.Default.IReadOnlyListGitConnectionDto)!;
        saved.Select(c => (c.Name, c.Kind, c.CredentialSet)).Order().ShouldBe([("github", "github", true), ("internal", "git", true)]);
        saved.Single(c => c.Name == "internal").Username.ShouldBe("warden");
        connections.Out.ShouldContain("https://ghe.example.com/api/v3/");

        add.Out.ShouldContain("acme/api");
        list.Out.ShouldContain("file:///srv/git/calc.git");
        list.Out.ShouldContain("trunk");
        var repos = JsonSerializer.Deserialize(listJson.Out, WardenJsonContext.Default.IReadOnlyListRepositoryDto)!;
        repos.Select(r => r.Name).Order().ShouldBe(["acme/api", "calc"]);
        var api = repos.Single(r => r.Name == "acme/api");
        (api.Connection, api.Kind, api.DefaultBranch, api.Project).ShouldBe(("github", "github", "trunk", "acme/api"));
        show.Out.ShouldContain("acme/api (github)");
        show.Out.ShouldContain("connection: github");
        show.Out.ShouldContain("default branch: trunk");
        var calc = JsonSerializer.Deserialize(showJson.Out, WardenJsonContext.Default.RepositoryDto)!;
        (calc.Kind, calc.Connection, calc.DefaultBranch).ShouldBe(("git", null, "main"));

        // A connection in use cannot go; once its repository is removed it can.
        var busy = await Run("git", "connection", "remove", "github");
        busy.Code.ShouldNotBe(0);
        (await Run("repo", "remove", "acme/api")).Out.ShouldContain("Removed repository acme/api");
        (await Run("git", "connection", "remove", "github")).Code.ShouldBe(0);
        var gone = await Run("repo", "show", "acme/api");
        gone.Code.ShouldNotBe(0);
        JsonSerializer.Deserialize((await Run("repo", "list", "--json")).Out, WardenJsonContext.Default.IReadOnlyListRepositoryDto)!.ShouldHaveSingleItem().Name.ShouldBe("calc");
        JsonSerializer.Deserialize((await Run("git", "connection", "list", "--json")).Out, WardenJsonContext.Default.IReadOnlyListGitConnectionDto)!
            .ShouldHaveSingleItem().Name.ShouldBe("internal");
    }

    [Fact]
    public async Task BadInput_PrintsOneLineAndExitsNonZero_WithoutTheToken()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        var badUrl = await Run("repo", "add", "api", "--url", "not a url");
        var credentialsInUrl = await Run("repo", "add", "api", "--url", $"https://x:{Token}@github.com/acme/api.git");
        var unknownConnection = await Run("repo", "add", "api", "--url", "https://github.com/acme/api.git", "--connection", "nope");
        var unknownRepo = await Run("repo", "show", "nope");
        var badKind = await CliRunner.RunWithAsync(_config, new Dictionary<string, string> { ["GH_TOKEN"] = Token }, null,
            "git", "connection", "set", "gh", "--kind", "svn", "--credential-env", "GH_TOKEN");
        var unsetVariable = await Run("git", "connection", "set", "gh", "--kind", "github", "--credential-env", "MISSING_TOKEN");
        var emptyStdin = await CliRunner.RunWithAsync(_config, null, string.Empty, "git", "connection", "set", "gh", "--kind", "github", "--credential-stdin");
        var plainWithoutUser = await CliRunner.RunWithAsync(_config, null, Token + "\n", "git", "connection", "set", "plain", "--kind", "git", "--credential-stdin");

        foreach (var (code, stdout, err) in new[] { badUrl, credentialsInUrl, unknownConnection, unknownRepo, badKind, unsetVariable, emptyStdin, plainWithoutUser })
        {
            code.ShouldNotBe(0);
            err.ShouldStartWith("error: ");
            err.TrimEnd().Split('\n').Length.ShouldBe(1, err);
            (stdout + err).ShouldNotContain(Token);
        }

        badUrl.Err.ShouldContain("Invalid clone URL");
        credentialsInUrl.Err.ShouldContain("credentials never go in the URL");
        unknownConnection.Err.ShouldContain("warden git connection set nope");
        badKind.Err.ShouldContain("Invalid connection kind 'svn'");
        unsetVariable.Err.ShouldContain("MISSING_TOKEN is not set");
        emptyStdin.Err.ShouldContain("No token on standard input");
        plainWithoutUser.Err.ShouldContain("--username");
        JsonSerializer.Deserialize((await Run("git", "connection", "list", "--json")).Out, WardenJsonContext.Default.IReadOnlyListGitConnectionDto)!.ShouldBeEmpty();
    }
}
