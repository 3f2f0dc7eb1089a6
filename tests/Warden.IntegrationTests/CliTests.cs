using System.Text.Json;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>The <c>warden</c> client commands, run in-process against a real server.</summary>
public sealed class CliTests : CliTestBase
{
    [Fact]
    public async Task Login_SavesAnOwnerOnlyProfile_AndWhoamiUsesIt()
    {
        await using var server = await TestServer.StartAsync("sqlite");

        var login = await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken);
        var whoami = await Run("whoami");
        var json = await Run("whoami", "--json");

        login.Code.ShouldBe(0, login.Err);
        login.Out.ShouldContain("as admin (org default)");
        var profile = Path.Combine(ConfigFolder, "config.json");
        File.GetUnixFileMode(profile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        whoami.Out.ShouldContain("admin (admin), site administrator");
        whoami.Out.ShouldContain("owner");
        JsonSerializer.Deserialize(json.Out, WardenJsonContext.Default.MeDto)!.Orgs.Single().Name.ShouldBe("default");
    }

    [Fact]
    public async Task TeamUserAndTokenCommands_WorkEndToEnd()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        (await Run("team", "create", "platform", "--display-name", "Platform team")).Code.ShouldBe(0);
        (await Run("user", "create", "ada", "--role", "admin", "--email", "ada@example.com")).Code.ShouldBe(0);
        (await Run("team", "add-member", "platform", "ada")).Out.ShouldContain("Added ada to platform");
        var teams = await Run("team", "list");
        var teamsJson = await Run("team", "list", "--json");
        var members = await Run("team", "members", "platform", "--json");
        var created = await Run("token", "create", "deploy", "--expires-in-days", "30", "--json");
        var token = JsonSerializer.Deserialize(created.Out, WardenJsonContext.Default.CreatedTokenDto)!;
        var tokens = await Run("token", "list");
        var revoke = await Run("token", "revoke", token.Token.Id);
        var after = await Run("token", "list", "--json");

        teams.Out.ShouldContain("platform");
        teams.Out.ShouldContain("Platform team");
        JsonSerializer.Deserialize(teamsJson.Out, WardenJsonContext.Default.IReadOnlyListTeamDto)!.Single().MemberCount.ShouldBe(1);
        JsonSerializer.Deserialize(members.Out, WardenJsonContext.Default.IReadOnlyListUserDto)!.Single().Role.ShouldBe("admin");
        token.Secret.ShouldStartWith("wdn_");
        tokens.Out.ShouldContain("deploy");
        tokens.Out.ShouldNotContain(token.Secret);
        revoke.Code.ShouldBe(0);
        JsonSerializer.Deserialize(after.Out, WardenJsonContext.Default.IReadOnlyListTokenDto)!.Single(t => t.Name == "deploy").State.ShouldBe("revoked");
    }

    [Fact]
    public async Task Failures_PrintOneLineAndExitNonZero()
    {
        await using var server = await TestServer.StartAsync("sqlite");

        var notLoggedIn = await Run("whoami");
        var badToken = await Run("login", "--server", server.BaseAddress.ToString(), "--token", "wdn_forged");
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);
        var duplicate1 = await Run("team", "create", "dup");
        var duplicate2 = await Run("team", "create", "dup");
        var badName = await Run("team", "create", "Bad Name");
        var unknownOrg = await Run("team", "list", "--org", "nope");
        var unreachable = await Run("login", "--server", "http://127.0.0.1:1/", "--token", "wdn_x");
        var notUrl = await Run("login", "--server", "ftp://x", "--token", "wdn_x");

        foreach (var (code, _, err) in new[] { notLoggedIn, badToken, duplicate2, badName, unknownOrg, unreachable, notUrl })
        {
            code.ShouldNotBe(0);
            err.ShouldStartWith("error: ");
            err.TrimEnd().Split('\n').Length.ShouldBe(1, err);
        }

        duplicate1.Code.ShouldBe(0);
        notLoggedIn.Err.ShouldContain("warden login");
        badToken.Err.ShouldContain("The token is not valid.");
        duplicate2.Err.ShouldContain("already exists");
        unknownOrg.Err.ShouldContain("Org 'nope' was not found.");
        unreachable.Err.ShouldContain("Cannot reach the server");
    }

    [Fact]
    public async Task Server_WithBadConfiguration_ListsEveryProblemAndExits2()
    {
        var result = await Run("server", "--listen", "not-an-address");

        result.Code.ShouldBe(2);
        result.Err.ShouldContain("Set a database");
        result.Err.ShouldContain("WARDEN_MASTER_KEY");
        result.Err.ShouldContain("'not-an-address' is not host:port");
    }

    [Fact]
    public async Task AdminToken_OnAFolderWithoutWarden_SaysSo()
    {
        var result = await Run("admin-token", "--data", Path.Combine(ConfigFolder, "missing"));

        result.Code.ShouldBe(1);
        result.Err.ShouldContain("No Warden database");
    }
}
