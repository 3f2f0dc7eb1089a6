using Microsoft.Playwright;
using Warden.Client.Contracts;
using PushPolicyRequest = Warden.Client.Contracts.PushPolicyRequest;

namespace Warden.IntegrationTests;

/// <summary>The web UI in Debian's Chromium: sign in, create a team and a token, see them listed.</summary>
public sealed class BrowserTests
{
    [Fact]
    public async Task SignIn_CreateTeamAndToken_SeeThemListed()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using (var admin = server.Client())
        {
            await admin.CreateUserAsync("default", new CreateUserRequest("ada", "Ada Lovelace", Role: "admin", Password: "analytical engine"));
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.BaseAddress.ToString() });

        // Unauthenticated pages send the browser to sign-in and back afterwards.
        await page.GotoAsync("o/default/teams");
        page.Url.ShouldContain("/login?returnUrl=");
        await page.GetByTestId("login-user").FillAsync("ada");
        await page.GetByTestId("login-password").FillAsync("wrong password!");
        await page.GetByTestId("login-submit").ClickAsync();
        (await page.Locator(".banner.error").InnerTextAsync()).ShouldContain("user name or password is wrong");
        await page.GetByTestId("login-user").FillAsync("ada");
        await page.GetByTestId("login-password").FillAsync("analytical engine");
        await page.GetByTestId("login-submit").ClickAsync();
        await page.WaitForURLAsync("**/o/default/teams");
        (await page.GetByTestId("signed-in-as").InnerTextAsync()).ShouldBe("ada");

        await page.GetByTestId("team-name").FillAsync("platform");
        await page.GetByTestId("team-create").ClickAsync();
        await page.GetByTestId("team-name").FillAsync("Bad Name");
        await page.GetByTestId("team-create").ClickAsync();
        (await page.Locator(".banner.error").InnerTextAsync()).ShouldContain("Invalid team name");
        (await page.GetByTestId("teams").InnerTextAsync()).ShouldContain("platform");

        await page.GetByRole(AriaRole.Link, new() { Name = "API tokens" }).ClickAsync();
        await page.GetByTestId("token-name").FillAsync("laptop");
        await page.GetByTestId("token-create").ClickAsync();
        var secret = (await page.GetByTestId("new-token").InnerTextAsync()).Trim();
        secret.ShouldStartWith("wdn_");
        (await page.GetByTestId("tokens").InnerTextAsync()).ShouldContain("laptop");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-tokens.png"), FullPage = true });

        // The token the page showed is real, and the team the page created is in the API too.
        using var asAda = server.Client(secret);
        (await asAda.GetMeAsync()).Name.ShouldBe("ada");
        (await asAda.ListTeamsAsync("default")).Select(t => t.Name).ShouldBe(["platform"]);

        // Revoke from the page; the token stops working.
        await page.GetByRole(AriaRole.Button, new() { Name = "Revoke" }).First.ClickAsync();
        (await page.GetByTestId("tokens").InnerTextAsync()).ShouldContain("revoked");
        (await Should.ThrowAsync<Warden.Client.WardenApiException>(asAda.GetMeAsync())).Status.ShouldBe(401);
    }

    [Fact]
    public async Task AuditPage_ListsFiltersFollowsLiveAndVerifies()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("before-page"));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.BaseAddress.ToString() });
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);

        await page.GetByRole(AriaRole.Link, new() { Name = "Audit" }).ClickAsync();
        var table = page.GetByTestId("audit-events");
        (await table.InnerTextAsync()).ShouldContain("team:before-page");
        (await table.InnerTextAsync()).ShouldContain("auth.login");

        await page.Locator("input[name=action]").FillAsync("team.*");
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await page.WaitForURLAsync("**/audit?action=team.*");
        (await table.InnerTextAsync()).ShouldNotContain("auth.login");

        // Live: tick "Follow live", then a change made elsewhere appears without reloading.
        await page.GetByTestId("audit-follow").CheckAsync();
        await page.WaitForTimeoutAsync(300);
        await admin.CreateTeamAsync("default", new CreateTeamRequest("while-watching"));
        await table.Locator("tr.fresh", new() { HasText = "team:while-watching" }).WaitForAsync(new() { Timeout = 10_000 });

        await table.Locator("a").First.ClickAsync();
        await page.GetByTestId("verify").ClickAsync();
        (await page.GetByTestId("verification").InnerTextAsync()).ShouldContain("Intact");
        (await page.GetByTestId("event-record").InnerTextAsync()).ShouldContain("\"action\": \"team.create\"");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-audit-event.png"), FullPage = true });
    }

    [Fact]
    public async Task PoliciesPage_ShowsTheActiveSetAnswersWhatIfAndDiffsVersions()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        var files = new Dictionary<string, string>(Warden.Server.Policy.PolicyBundle.Default.Files)
        {
            ["mcp.cedar"] = "@id(\"agents-use-docs\")\npermit (principal is Warden::Agent, action == Warden::Action::\"mcp.call\", resource == Warden::McpServer::\"docs\");\n",
        };
        await admin.PushPoliciesAsync("default", new PushPolicyRequest(files, "docs for agents"));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.BaseAddress.ToString() });
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);

        await page.GetByRole(AriaRole.Link, new() { Name = "Policies" }).ClickAsync();
        (await page.GetByTestId("policy-active").InnerTextAsync()).ShouldContain("Active: v1");
        (await page.GetByTestId("policy-active").InnerTextAsync()).ShouldContain("agents-use-docs");

        await page.GetByTestId("try-principal-id").FillAsync("ses_1");
        await page.GetByTestId("try-action").SelectOptionAsync("git.push");
        await page.GetByTestId("try-resource-type").FillAsync("Warden::Branch");
        await page.GetByTestId("try-resource-id").FillAsync("acme/app#main");
        await page.GetByTestId("try-context").FillAsync("{\"touchesWorkflows\": false}");
        await page.GetByTestId("try-entities").FillAsync(files["tests/entities.json"]);
        await page.GetByTestId("try-submit").ClickAsync();
        var answer = await page.GetByTestId("try-answer").InnerTextAsync();
        answer.ShouldContain("DENY");
        answer.ShouldContain("no-push-to-protected-branches");
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "policy.decision" })).Events.ShouldBeEmpty("what-if questions are not decisions");

        await page.Locator("select[name=from]").SelectOptionAsync("default");
        await page.Locator("select[name=to]").SelectOptionAsync("v1");
        await page.GetByTestId("diff").ClickAsync();
        var diff = page.GetByTestId("policy-diff");
        (await diff.InnerTextAsync()).ShouldContain("+++ b/mcp.cedar");
        (await diff.Locator("span.add").CountAsync()).ShouldBeGreaterThan(0);
        (await page.GetByTestId("policy-history").InnerTextAsync()).ShouldContain("docs for agents");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-policies.png"), FullPage = true });
    }

    [Fact]
    public async Task Forms_WithoutTheAntiforgeryToken_AreRejected()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await BrowserSupport.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = server.BaseAddress.ToString() });
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);

        // A cross-site form post carries the session cookie at most, never a valid antiforgery token.
        var forged = await page.APIRequest.PostAsync("o/default/teams", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("_handler", "create-team").Set("Form.Name", "forged"),
        });

        forged.Status.ShouldBe(400);
        using var admin = server.Client();
        (await admin.ListTeamsAsync("default")).ShouldBeEmpty();
    }
}
