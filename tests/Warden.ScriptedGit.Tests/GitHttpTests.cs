namespace Warden.ScriptedGit.Tests;

/// <summary>Git smart HTTP through the scripted host with the real git CLI: clone, push, and the token check.</summary>
public sealed class GitHttpTests
{
    private const string Token = "scripted-git-token-0123456789";

    [Fact]
    public async Task CloneAndPush_WithTheToken_ReachTheBareRepository()
    {
        await using var host = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = Token });
        var url = await host.CreateRepositoryAsync("acme/api", new Dictionary<string, string>
        {
            ["README.md"] = "# api\n",
            ["src/app.py"] = "print('hello')\n",
        });
        url.ShouldBe(new Uri(host.BaseAddress, "acme/api.git"));
        using var git = new GitCli();
        var authed = $"http://x-access-token:{Token}@{url.Authority}{url.AbsolutePath}";

        git.Require(".", "-c", "credential.helper=", "clone", "-q", authed, "work");
        File.ReadAllText(Path.Combine(git.Folder, "work", "src", "app.py")).ShouldBe("print('hello')\n");
        git.Require("work", "checkout", "-q", "-b", "warden/s-1");
        File.WriteAllText(Path.Combine(git.Folder, "work", "src", "app.py"), "print('fixed')\n");
        git.Require("work", "commit", "-qam", "Fix the greeting");
        git.Require("work", "-c", "credential.helper=", "push", "-q", "origin", "warden/s-1");

        (await host.BranchesAsync("acme/api")).ShouldBe(["main", "warden/s-1"]);
        (await host.ReadFileAsync("acme/api", "warden/s-1", "src/app.py")).ShouldBe("print('fixed')\n");
        (await host.ReadFileAsync("acme/api", "main", "src/app.py")).ShouldBe("print('hello')\n");
        (await host.ReadFileAsync("acme/api", "main", "missing.txt")).ShouldBeNull();
        // git asks without credentials first and sends them after the 401 challenge, as with any host.
        host.GitRequestCount.ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task GitRequests_WithoutOrWithAWrongToken_AreRefused_AndABearerTokenWorks()
    {
        await using var host = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = Token, Username = "svc" });
        var url = await host.CreateRepositoryAsync("team/sub/tool", new Dictionary<string, string> { ["a.txt"] = "a\n" }, branch: "trunk");
        using var git = new GitCli();

        var anonymous = git.Run(".", "-c", "credential.helper=", "clone", "-q", url.ToString(), "anon");
        var wrong = git.Run(".", "-c", "credential.helper=", "clone", "-q", $"http://svc:not-the-token@{url.Authority}{url.AbsolutePath}", "wrong");
        var wrongUser = git.Run(".", "-c", "credential.helper=", "clone", "-q", $"http://other:{Token}@{url.Authority}{url.AbsolutePath}", "user");
        anonymous.Code.ShouldNotBe(0);
        wrong.Code.ShouldNotBe(0);
        wrongUser.Code.ShouldNotBe(0);
        wrong.Err.ShouldContain("Authentication failed");
        host.RefusedCount.ShouldBeGreaterThanOrEqualTo(3);

        git.Require(".", "-c", "http.extraHeader=Authorization: Bearer " + Token, "clone", "-q", url.ToString(), "bearer");
        git.Require("bearer", "rev-parse", "--abbrev-ref", "HEAD").Trim().ShouldBe("trunk");
    }

    [Fact]
    public async Task AnonymousHost_ServesAndAcceptsPushes_AndRejectsPathsOutsideItsRoot()
    {
        await using var host = await ScriptedGitServer.StartAsync();
        var url = await host.CreateRepositoryAsync("demo", new Dictionary<string, string> { ["x"] = "1\n" });
        using var git = new GitCli();
        git.Require(".", "clone", "-q", url.ToString(), "work");
        File.WriteAllText(Path.Combine(git.Folder, "work", "x"), "2\n");
        git.Require("work", "commit", "-qam", "two");
        git.Require("work", "push", "-q", "origin", "main");
        (await host.ReadFileAsync("demo", "main", "x")).ShouldBe("2\n");

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        (await http.GetAsync("nope.git/info/refs?service=git-upload-pack")).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
        (await http.GetAsync("demo/%2e%2e/%2e%2e/etc/passwd")).StatusCode.ShouldBe(System.Net.HttpStatusCode.NotFound);
        Should.Throw<ArgumentException>(() => host.RepositoryPath("../escape"));
    }

    [Fact]
    public async Task Options_AreCheckedAllAtOnce()
    {
        var error = await Should.ThrowAsync<ArgumentException>(ScriptedGitServer.StartAsync(new ScriptedGitOptions { Listen = "nowhere", Token = "", Root = "relative" }));
        error.Message.ShouldContain("Listen address");
        error.Message.ShouldContain("Token");
        error.Message.ShouldContain("Root");
    }
}
