using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Warden.Client.Contracts;
using Warden.Data.Git;
using Warden.Data.Identity;

namespace Warden.IntegrationTests;

/// <summary>
/// The Git connection and repository pages in Chromium: an admin adds, changes and deletes them (a token goes in and
/// never comes out in a page), bad input shows the store's message with a 400, and a member reads them without forms.
/// </summary>
public sealed class GitPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Org = "default";
    private const string Token = "ghp_pageTestToken0123456789abcdefSECRET";
    private const string OtherToken = "glpat-otherPageToken-9876543210SECRET";
    private static readonly LocatorAssertionsToContainTextOptions Wait = new() { Timeout = 15_000 };

    [Fact]
    public async Task Connections_TakeATokenThatNeverComesBackInThePage_AndShowTheStoresErrorsForBadInput()
    {
        await using var server = await StartAsync();
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await Nav(page, "Git connections").ClickAsync();
        await page.WaitForURLAsync("**/o/default/git/connections");
        (await page.GetByTestId("no-connections").InnerTextAsync()).ShouldContain("No Git connections yet");

        // A bad API URL: the store's message, a 400, what was typed kept, and the token typed with it not sent back.
        await page.GetByTestId("connection-name").FillAsync("gitlab");
        await page.GetByTestId("connection-kind").SelectOptionAsync("gitlab");
        await page.GetByTestId("connection-url").FillAsync("gitlab.example.com/not a url");
        await page.GetByTestId("connection-credential").FillAsync(OtherToken);
        var response = await SubmitAsync(page, "connection-save");
        response.Status.ShouldBe(400);
        (await response.TextAsync()).ShouldNotContain(OtherToken);
        await ExpectAsync(page.Locator(".banner.error"), "Invalid API URL");
        (await page.GetByTestId("connection-name").InputValueAsync()).ShouldBe("gitlab");
        (await page.GetByTestId("connection-credential").InputValueAsync()).ShouldBeEmpty();

        // GitLab needs its instance's address.
        await page.GetByTestId("connection-url").FillAsync(string.Empty);
        response = await SubmitAsync(page, "connection-save");
        response.Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "A gitlab connection needs its API URL");

        // A kind the select does not offer (a hand-made post): refused by the store, on the page.
        await page.GetByTestId("connection-name").FillAsync("svn");
        await page.Locator("[data-testid=connection-kind]").EvaluateAsync("s => { s.add(new Option('subversion', 'subversion')); s.value = 'subversion'; }");
        response = await SubmitAsync(page, "connection-save");
        response.Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "Invalid connection kind 'subversion': use one of github, gitlab, gitea, git");

        // Plain Git with a token needs the user name that goes with it.
        await page.GetByTestId("connection-name").FillAsync("plain");
        await page.GetByTestId("connection-kind").SelectOptionAsync("git");
        await page.GetByTestId("connection-credential").FillAsync(OtherToken);
        response = await SubmitAsync(page, "connection-save");
        response.Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "needs the user name");
        var connections = server.Host.App.Services.GetRequiredService<GitConnectionStore>();
        (await connections.ListAsync(Actor.System("test"), Org)).ShouldBeEmpty();

        // Good input: GitHub with a token; the table says "set" and the page holds the token nowhere.
        await page.GetByTestId("connection-name").FillAsync("github");
        await page.GetByTestId("connection-kind").SelectOptionAsync("github");
        await page.GetByTestId("connection-credential").FillAsync(Token);
        response = await SubmitAsync(page, "connection-save");
        response.Status.ShouldBe(200);
        (await response.TextAsync()).ShouldNotContain(Token);
        await ExpectAsync(page.GetByTestId("connections-saved"), "Connection github saved");
        var row = await page.Locator("tr[data-connection=github]").InnerTextAsync();
        row.ShouldContain("github");
        row.ShouldContain("https://api.github.com/");
        (await page.Locator("tr[data-connection=github]").GetByTestId("credential-state").InnerTextAsync()).ShouldBe("set");
        (await page.ContentAsync()).ShouldNotContain(Token);
        (await page.GetByTestId("connection-credential").InputValueAsync()).ShouldBeEmpty();

        // GitLab's API suffix is dropped; the list shows the instance's address.
        await page.GetByTestId("connection-name").FillAsync("gitlab");
        await page.GetByTestId("connection-kind").SelectOptionAsync("gitlab");
        await page.GetByTestId("connection-url").FillAsync("https://gitlab.example.com/api/v4");
        await page.GetByTestId("connection-credential").FillAsync(OtherToken);
        await page.GetByTestId("connection-save").ClickAsync();
        await ExpectAsync(page.GetByTestId("connections-saved"), "Connection gitlab saved");
        (await page.Locator("tr[data-connection=gitlab]").InnerTextAsync()).ShouldContain("https://gitlab.example.com/");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-git-connections.png"), FullPage = true });

        // Edit fills the form from what is stored, never the token; saving with the token left empty keeps it.
        using var admin = server.Client();
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://github.com/acme/api.git", Connection: "github"));
        await page.Locator("tr[data-connection=github]").GetByTestId("connection-edit").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("connection=github", StringComparison.Ordinal));
        (await page.GetByTestId("connection-name").InputValueAsync()).ShouldBe("github");
        (await page.GetByTestId("connection-kind").InputValueAsync()).ShouldBe("github");
        (await page.GetByTestId("connection-credential").InputValueAsync()).ShouldBeEmpty();
        await page.GetByTestId("connection-username").FillAsync("warden-bot");
        await page.GetByTestId("connection-save").ClickAsync();
        await ExpectAsync(page.GetByTestId("connections-saved"), "Connection github saved");
        (await page.Locator("tr[data-connection=github]").InnerTextAsync()).ShouldContain("warden-bot");
        (await page.Locator("tr[data-connection=github]").GetByTestId("credential-state").InnerTextAsync()).ShouldBe("set");
        var repos = server.Host.App.Services.GetRequiredService<RepositoryStore>();
        (await repos.ResolveAsync(Actor.System("test"), Org, "acme/api")).Connection!.Credential.ShouldBe(Token);

        // The raw HTML of every state of the page holds neither token.
        var html = await (await page.APIRequest.GetAsync("o/default/git/connections")).TextAsync();
        html.ShouldContain("warden-bot");
        html.ShouldNotContain(Token);
        html.ShouldNotContain(OtherToken);
        html = await (await page.APIRequest.GetAsync("o/default/git/connections?connection=gitlab")).TextAsync();
        html.ShouldContain("https://gitlab.example.com/");
        html.ShouldNotContain(OtherToken);

        // Clearing the token.
        await page.GotoAsync("o/default/git/connections?connection=gitlab");
        await page.GetByTestId("connection-clear").CheckAsync();
        await page.GetByTestId("connection-save").ClickAsync();
        await ExpectAsync(page.GetByTestId("connections-saved"), "Connection gitlab saved");
        (await page.Locator("tr[data-connection=gitlab]").GetByTestId("credential-state").InnerTextAsync()).ShouldBe("none");

        // Delete asks first; a connection a repository uses is refused with the store's reason; an unused one goes.
        var github = page.Locator("tr[data-connection=github]");
        (await github.GetByTestId("connection-delete-confirm").IsVisibleAsync()).ShouldBeFalse();
        await github.GetByTestId("connection-delete").ClickAsync();
        (await github.InnerTextAsync()).ShouldContain("1 repository(ies) still use it");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-git-connection-delete.png"), FullPage = true });
        response = await page.RunAndWaitForResponseAsync(() => github.GetByTestId("connection-delete-confirm").ClickAsync(), r => r.Request.Method == "POST");
        response.Status.ShouldBe(409);
        await ExpectAsync(page.Locator(".banner.error"), "Git connection 'github' is used by repository(ies) acme/api");
        var gitlab = page.Locator("tr[data-connection=gitlab]");
        await gitlab.GetByTestId("connection-delete").ClickAsync();
        await gitlab.GetByTestId("connection-delete-confirm").ClickAsync();
        await ExpectAsync(page.GetByTestId("connections-saved"), "Connection gitlab deleted");
        (await page.Locator("tr[data-connection=gitlab]").CountAsync()).ShouldBe(0);
        (await connections.ListAsync(Actor.System("test"), Org)).Select(c => c.Name).ShouldBe(["github"]);
    }

    [Fact]
    public async Task Repositories_AreAddedListedChangedAndRemoved_AndLinkToTheirSessionsAndANewTask()
    {
        await using var server = await StartAsync();
        using var admin = server.Client();
        await admin.PutGitConnectionAsync(Org, "github", new PutGitConnectionRequest("github", Credential: Token));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await Nav(page, "Repositories").ClickAsync();
        await page.WaitForURLAsync("**/o/default/repos");
        (await page.GetByTestId("no-repos").InnerTextAsync()).ShouldContain("No repositories yet");

        // Bad input: the store's message with a 400, and the form keeps what was typed.
        await page.GetByTestId("repo-name").FillAsync("acme/api");
        await page.GetByTestId("repo-url").FillAsync("git@github.com:acme/api.git");
        await page.GetByTestId("repo-connection").SelectOptionAsync("github");
        var response = await SubmitAsync(page, "repo-save");
        response.Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "write SSH addresses as URLs");
        (await page.GetByTestId("repo-url").InputValueAsync()).ShouldBe("git@github.com:acme/api.git");
        await page.GetByTestId("repo-url").FillAsync("https://user:pw@github.com/acme/api.git");
        (await SubmitAsync(page, "repo-save")).Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "credentials never go in the URL");
        await page.GetByTestId("repo-url").FillAsync("https://github.com/acme/api.git");
        await page.GetByTestId("repo-name").FillAsync("../etc");
        (await SubmitAsync(page, "repo-save")).Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "Invalid repository name '../etc'");

        // Good input, on the connection: the project path is read from the clone URL.
        await page.GetByTestId("repo-name").FillAsync("acme/api");
        (await SubmitAsync(page, "repo-save")).Status.ShouldBe(200);
        await ExpectAsync(page.GetByTestId("repos-saved"), "Repository acme/api saved");
        var api = page.Locator("tr[data-repo='acme/api']");
        var text = await api.InnerTextAsync();
        text.ShouldContain("https://github.com/acme/api.git");
        text.ShouldContain("github");
        text.ShouldContain("main");
        text.ShouldContain("acme/api");

        // A local repository without a connection, on another branch.
        await page.GetByTestId("repo-name").FillAsync("acme/tools");
        await page.GetByTestId("repo-url").FillAsync("/srv/git/tools.git");
        await page.GetByTestId("repo-connection").SelectOptionAsync(string.Empty);
        await page.GetByTestId("repo-branch").FillAsync("trunk");
        await page.GetByTestId("repo-save").ClickAsync();
        await ExpectAsync(page.GetByTestId("repos-saved"), "Repository acme/tools saved");
        var tools = page.Locator("tr[data-repo='acme/tools']");
        text = await tools.InnerTextAsync();
        text.ShouldContain("/srv/git/tools.git");
        text.ShouldContain("git");
        text.ShouldContain("trunk");
        var stored = await admin.ListRepositoriesAsync(Org);
        stored.Select(r => (r.Name, r.Connection, r.Kind, r.DefaultBranch, r.Project)).ShouldBe(
            [("acme/api", "github", "github", "main", "acme/api"), ("acme/tools", null, "git", "trunk", null)]);
        (await page.ContentAsync()).ShouldNotContain(Token);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-repos.png"), FullPage = true });

        // "Sessions" lists that repository's sessions only.
        await admin.CreateSessionAsync(Org, new CreateSessionRequest("acme/api", "Add a health endpoint"));
        await admin.CreateSessionAsync(Org, new CreateSessionRequest("acme/tools", "Fix the release script"));
        await api.GetByTestId("repo-sessions").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/o/default/sessions?repo=acme%2Fapi", StringComparison.Ordinal));
        var sessions = page.GetByTestId("sessions").Locator("tbody tr");
        (await sessions.CountAsync()).ShouldBe(1);
        (await sessions.First.InnerTextAsync()).ShouldContain("Add a health endpoint");
        (await page.GetByTestId("filter-repo").InputValueAsync()).ShouldBe("acme/api");

        // "New task" opens the form on that repository; starting it works on the repository's default branch.
        await page.GotoAsync("o/default/repos");
        await tools.GetByTestId("repo-new-task").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/o/default/sessions/new?repo=acme%2Ftools", StringComparison.Ordinal));
        (await page.GetByTestId("task-repo").InputValueAsync()).ShouldBe("acme/tools");
        await page.GetByTestId("task-instruction").FillAsync("Tidy the build script");
        await page.GetByTestId("task-start").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/ses_*");
        var header = await page.GetByTestId("session-header").InnerTextAsync();
        header.ShouldContain("acme/tools");
        header.ShouldContain("trunk");

        // Edit starts from the stored settings; a change replaces them.
        await page.GotoAsync("o/default/repos");
        await api.GetByTestId("repo-edit").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("repo=acme%2Fapi", StringComparison.Ordinal));
        (await page.GetByTestId("repo-url").InputValueAsync()).ShouldBe("https://github.com/acme/api.git");
        (await page.GetByTestId("repo-connection").InputValueAsync()).ShouldBe("github");
        (await page.GetByTestId("repo-project").InputValueAsync()).ShouldBe("acme/api");
        await page.GetByTestId("repo-branch").FillAsync("develop");
        await page.GetByTestId("repo-save").ClickAsync();
        await ExpectAsync(page.GetByTestId("repos-saved"), "Repository acme/api saved");
        (await api.InnerTextAsync()).ShouldContain("develop");
        (await admin.GetRepositoryAsync(Org, "acme/api")).DefaultBranch.ShouldBe("develop");

        // Removing asks first.
        await tools.GetByTestId("repo-delete").ClickAsync();
        (await tools.InnerTextAsync()).ShouldContain("Its sessions stay");
        await tools.GetByTestId("repo-delete-confirm").ClickAsync();
        await ExpectAsync(page.GetByTestId("repos-saved"), "Repository acme/tools removed");
        (await page.Locator("tr[data-repo='acme/tools']").CountAsync()).ShouldBe(0);
        (await admin.ListRepositoriesAsync(Org)).ShouldHaveSingleItem().Name.ShouldBe("acme/api");
    }

    [Fact]
    public async Task Member_ReadsConnectionsAndRepositories_WithoutAnyEditForm()
    {
        await using var server = await StartAsync();
        using var admin = server.Client();
        await admin.PutGitConnectionAsync(Org, "github", new PutGitConnectionRequest("github", Credential: Token));
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://github.com/acme/api.git", Connection: "github"));
        await admin.CreateUserAsync(Org, new CreateUserRequest("mia", Role: "member", Password: "member password 1"));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithPasswordAsync(page, "mia", "member password 1");

        await Nav(page, "Git connections").ClickAsync();
        await page.WaitForURLAsync("**/o/default/git/connections");
        (await page.Locator("tr[data-connection=github]").GetByTestId("credential-state").InnerTextAsync()).ShouldBe("set");
        (await page.GetByTestId("connections-read-only").InnerTextAsync()).ShouldContain("Your role in default (member) reads connections");
        (await page.GetByTestId("connection-form").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("connection-edit").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("connection-delete").CountAsync()).ShouldBe(0);
        (await page.ContentAsync()).ShouldNotContain(Token);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-git-connections-member.png"), FullPage = true });

        // A hand-made post is refused and changes nothing.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        var post = await page.APIRequest.PostAsync("o/default/git/connections", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("__RequestVerificationToken", antiforgery).Set("_handler", "save-connection")
                .Set("Form.Name", "github").Set("Form.Kind", "gitea").Set("Form.ApiUrl", "https://evil.example.com"),
        });
        post.Status.ShouldBe(400);
        (await admin.GetGitConnectionAsync(Org, "github")).Kind.ShouldBe("github");

        await Nav(page, "Repositories").ClickAsync();
        await page.WaitForURLAsync("**/o/default/repos");
        var row = page.Locator("tr[data-repo='acme/api']");
        (await row.InnerTextAsync()).ShouldContain("https://github.com/acme/api.git");
        (await page.GetByTestId("repos-read-only").InnerTextAsync()).ShouldContain("Your role in default (member) reads repositories");
        (await page.GetByTestId("repo-form").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("repo-edit").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("repo-delete").CountAsync()).ShouldBe(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-repos-member.png"), FullPage = true });

        // A member still starts tasks on it.
        await row.GetByTestId("repo-new-task").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/new?repo=*");
        (await page.GetByTestId("task-repo").InputValueAsync()).ShouldBe("acme/api");
    }

    private static Task<TestServer> StartAsync() =>
        TestServer.StartAsync("sqlite", o => o with { Sessions = o.Sessions with { Enabled = false } });

    // A link in the navigation (page text links to the same places).
    private static ILocator Nav(IPage page, string name) => page.Locator("nav.sidebar").GetByRole(AriaRole.Link, new() { Name = name, Exact = true });

    // Clicks a submit button and returns the response to the form's POST.
    private static Task<IResponse> SubmitAsync(IPage page, string button) =>
        page.RunAndWaitForResponseAsync(() => page.GetByTestId(button).ClickAsync(), r => r.Request.Method == "POST");

    // Waits for the text (the page may still be the one before a form's post).
    private static Task ExpectAsync(ILocator locator, string text) => Assertions.Expect(locator).ToContainTextAsync(text, Wait);
}
