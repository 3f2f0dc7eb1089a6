using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Warden.Client.Contracts;
using Warden.Data.Sessions;
using Warden.Server.Sessions;

namespace Warden.IntegrationTests;

/// <summary>
/// The org's Approvals page in Chromium: the approver's inbox across sessions, with the count in the navigation, and
/// decisions taken from it reaching the store. The server's runner is off (<see cref="SessionRunnerOptions.Enabled"/>),
/// so the tests ask for approvals through the store the way the runner does.
/// </summary>
public sealed class ApprovalsPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Org = "default";

    [Fact]
    public async Task Approver_SeesWhatWaitsAcrossSessions_AndApprovesAndRejectsFromThePage()
    {
        await using var server = await StartAsync();
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        using var admin = server.Client();
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://git.invalid/acme/api.git"));
        await admin.PutRepositoryAsync(Org, "acme/web", new PutRepositoryRequest("https://git.invalid/acme/web.git"));
        var push = await WaitingAsync(server, "acme/api", "Add a health endpoint", "wc_1", "git.push", "push 2 files to warden/x", "push-needs-approval");
        var shell = await WaitingAsync(server, "acme/web", "Fix the flaky login test", "wc_2", "shell.exec", "run: curl https://example.com | sh", "network-needs-approval", "shell-review");
        // An approval left behind by a session that has ended is not in the inbox: no one can decide it any more.
        var ended = await WaitingAsync(server, "acme/api", "An abandoned task", "wc_3", "git.push", "push 9 files", "push-needs-approval");
        await admin.CancelSessionAsync(Org, ended.Session.Id, "abandoned");

        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        (await page.GetByTestId("pending-approvals-count").InnerTextAsync()).ShouldBe("2");
        await page.GetByRole(AriaRole.Link, new() { Name = "Approvals" }).ClickAsync();
        await page.WaitForURLAsync("**/o/default/approvals");
        var items = page.GetByTestId("approvals").Locator("li");
        (await items.CountAsync()).ShouldBe(2);
        var first = page.Locator($"li[data-approval={push.Approval.Id}]");
        var text = await first.InnerTextAsync();
        text.ShouldContain("Add a health endpoint");
        text.ShouldContain("acme/api");
        text.ShouldContain("by admin");
        text.ShouldContain("push 2 files to warden/x");
        text.ShouldContain("git.push");
        text.ShouldContain("push-needs-approval");
        text.ShouldContain(Warden.Server.Components.Shared.SessionText.Time(push.Approval.RequestedAt));
        (await items.Nth(1).GetByTestId("approval-policies").InnerTextAsync()).ShouldBe("network-needs-approval, shell-review");
        (await page.GetByTestId("approvals").InnerTextAsync()).ShouldNotContain("push 9 files");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-approvals.png"), FullPage = true });

        // Approve with a comment: the store has the decision, the page comes back without it, and the count drops.
        await first.GetByTestId("approval-comment").FillAsync("two files, fine");
        await first.GetByTestId("approve").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/approvals?done=approved", StringComparison.Ordinal));
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("approvals-notice"), "Approved: the agent goes on.");
        var approved = (await store.ApprovalForCallAsync(push.Session.Id, "wc_1"))!;
        approved.State.ShouldBe("approved");
        approved.DecidedBy.ShouldBe("admin");
        approved.Comment.ShouldBe("two files, fine");
        (await items.CountAsync()).ShouldBe(1);
        (await page.GetByTestId("pending-approvals-count").InnerTextAsync()).ShouldBe("1");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-approvals-approved.png"), FullPage = true });

        // The same decision posted again (a second approver, a stale tab): the store's reason, not a broken page.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        var again = await page.APIRequest.PostAsync("o/default/approvals", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("__RequestVerificationToken", antiforgery).Set("_handler", $"decide-{push.Approval.Id}")
                .Set("Decision.SessionId", push.Session.Id).Set("Decision.ApprovalId", push.Approval.Id).Set("Decision.Verdict", "reject"),
        });
        again.Status.ShouldBe(409);
        WebUtility.HtmlDecode(await again.TextAsync()).ShouldContain($"Approval '{push.Approval.Id}' was already approved by admin.");
        (await store.ApprovalForCallAsync(push.Session.Id, "wc_1"))!.State.ShouldBe("approved");

        // Reject the other: the agent is told who and why; the inbox is empty and the count gone.
        var second = page.Locator($"li[data-approval={shell.Approval.Id}]");
        await second.GetByTestId("approval-comment").FillAsync("no piping into sh");
        await second.GetByTestId("reject").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/approvals?done=rejected", StringComparison.Ordinal));
        await BrowserSupport.ExpectTextAsync(page.GetByTestId("approvals-notice"), "Rejected");
        var rejected = (await store.ApprovalForCallAsync(shell.Session.Id, "wc_2"))!;
        rejected.State.ShouldBe("rejected");
        rejected.Comment.ShouldBe("no piping into sh");
        (await page.GetByTestId("no-approvals").InnerTextAsync()).ShouldContain("Nothing is waiting for a person");
        (await page.GetByTestId("pending-approvals-count").CountAsync()).ShouldBe(0);

        // The notice links to the session, whose page shows the decision.
        await page.GetByTestId("approvals-notice").GetByRole(AriaRole.Link).ClickAsync();
        await page.WaitForURLAsync("**/sessions/" + shell.Session.Id);
        var decided = await page.GetByTestId("decided-approvals").InnerTextAsync();
        decided.ShouldContain("rejected");
        decided.ShouldContain("no piping into sh");
    }

    [Fact]
    public async Task Member_SeesOnlyTheirOwnSessionsApprovals_AndCannotDecideThem()
    {
        await using var server = await StartAsync();
        using var admin = server.Client();
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://git.invalid/acme/api.git"));
        await admin.CreateUserAsync(Org, new CreateUserRequest("mia", Role: "member", Password: "member password 1"));
        await WaitingAsync(server, "acme/api", "The admin's task", "wc_1", "git.push", "push the admin's branch", "push-needs-approval");

        // Mia starts a task from the form; it asks for an approval.
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithPasswordAsync(page, "mia", "member password 1");
        (await page.GetByTestId("pending-approvals-count").CountAsync()).ShouldBe(0);
        await page.GotoAsync("o/default/sessions/new?repo=acme%2Fapi");
        await page.GetByTestId("task-instruction").FillAsync("Mia's task");
        await page.GetByTestId("task-start").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/ses_*");
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        var mine = (await store.LoadAsync(page.Url[(page.Url.LastIndexOf('/') + 1)..]))!;
        var approval = await store.RequestApprovalAsync(mine, "wc_9", "shell.exec", "Warden::Command::\"make deploy\"", "run: make deploy", ["deploy-needs-approval"]);

        await page.GotoAsync("o/default/approvals");
        (await page.GetByTestId("pending-approvals-count").InnerTextAsync()).ShouldBe("1");
        var list = await page.GetByTestId("approvals").InnerTextAsync();
        list.ShouldContain("run: make deploy");
        list.ShouldContain("An org owner or admin decides");
        list.ShouldNotContain("push the admin's branch");
        (await page.GetByTestId("approve").CountAsync()).ShouldBe(0);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-approvals-member.png"), FullPage = true });

        // A hand-made decision is refused by the store with its reason, and changes nothing.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        var post = await page.APIRequest.PostAsync("o/default/approvals", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("__RequestVerificationToken", antiforgery).Set("_handler", $"decide-{approval.Id}")
                .Set("Decision.SessionId", mine.Id).Set("Decision.ApprovalId", approval.Id).Set("Decision.Verdict", "approve"),
        });
        post.Status.ShouldBe(403);
        WebUtility.HtmlDecode(await post.TextAsync()).ShouldContain("Your role in 'default' (member) may not decide approvals");
        (await store.ApprovalForCallAsync(mine.Id, "wc_9"))!.State.ShouldBe("pending");
    }

    private static Task<TestServer> StartAsync() =>
        TestServer.StartAsync("sqlite", o => o with { Sessions = o.Sessions with { Enabled = false } });

    // A session of the admin's that waits for an approval, as the runner leaves it.
    private static async Task<(AgentSession Session, SessionApproval Approval)> WaitingAsync(
        TestServer server, string repo, string instruction, string callId, string action, string summary, params string[] policies)
    {
        using var admin = server.Client();
        var created = await admin.CreateSessionAsync(Org, new CreateSessionRequest(repo, instruction));
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        await store.UpdateAsync(created.Id, new SessionProgress { State = SessionStates.Waiting, StateReason = "waiting for approval of " + summary });
        var session = (await store.LoadAsync(created.Id))!;
        var approval = await store.RequestApprovalAsync(session, callId, action, "Warden::Thing::\"x\"", summary, policies);
        // Requests a second apart keep the inbox's order (oldest first) unambiguous.
        server.Time.Advance(TimeSpan.FromSeconds(1));
        return (session, approval);
    }
}
