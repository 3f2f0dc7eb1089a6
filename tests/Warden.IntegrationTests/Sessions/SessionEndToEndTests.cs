using System.Text.Json;
using Warden.Client.Contracts;
using Warden.Data.Sessions;
using Warden.IntegrationTests.Workers;

namespace Warden.IntegrationTests.Sessions;

/// <summary>
/// A task to a pull request through the real server, a real worker with the bubblewrap sandbox, the org's policies,
/// the model gateway (in front of a scripted model) and a real Git remote: the agent reads, runs the failing test,
/// fixes the code, is refused egress to a host policy does not allow, waits for a person to approve a command, and
/// finishes; the worker commits and pushes <c>warden/&lt;session&gt;</c> and the server opens the pull request.
/// </summary>
public sealed class SessionEndToEndTests
{
    private const string ApprovalPolicy = """
        @id("approve-release-checks")
        @approval("required")
        permit (principal is Warden::Agent, action == Warden::Action::"shell.exec", resource)
        when { context.command like "*release-check*" };
        """;

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ATask_BecomesAPullRequest_WithEveryStepDecidedAndOnTheRecord(string engine)
    {
        await using var t = await SessionTestbed.StartAsync(engine);
        await t.PushPoliciesAsync(ApprovalPolicy);
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_read", "read_file", """{"path":"calc.sh"}"""),
            SessionTestbed.Call("call_test1", "shell", """{"command":"sh test.sh"}"""),
            SessionTestbed.Call("call_fix", "edit_file", """{"path":"calc.sh","edits":[{"old_text":"$1 - $2","new_text":"$1 + $2"}]}"""),
            SessionTestbed.Call("call_egress", "shell", $$"""{"command":"curl -s --noproxy '' -m 10 -o /dev/null -w 'status=%{http_code}' http://127.0.0.1:{{t.ForbiddenPort}}/"}"""),
            SessionTestbed.Call("call_check", "shell", """{"command":"sh test.sh && echo release-check-ok"}"""),
            SessionTestbed.Call("call_finish", "finish", """{"title":"Fix add in calc.sh","summary":"add subtracted its arguments; it adds them now.\n\n`sh test.sh` passes."}"""),
        ]);

        var created = await t.CreateAsync();
        created.State.ShouldBeOneOf(SessionStates.Queued, SessionStates.Running);

        // The command marked for approval pauses the session; nothing goes to the model meanwhile.
        var waiting = await t.WaitForAsync(created.Id, 90, SessionStates.Waiting);
        using var client = t.Client();
        var approval = (await client.ListSessionApprovalsAsync(SessionTestbed.Org, created.Id)).ShouldHaveSingleItem();
        approval.State.ShouldBe("pending");
        approval.Action.ShouldBe("shell.exec");
        approval.Summary.ShouldContain("release-check-ok");
        approval.Policies.ShouldContain("approve-release-checks");
        waiting.StateReason!.ShouldContain("approval");
        t.Model.RequestCount.ShouldBe(5);
        (await client.ListPendingApprovalsAsync(SessionTestbed.Org)).Select(a => a.Id).ShouldContain(approval.Id);

        await client.DecideApprovalAsync(SessionTestbed.Org, created.Id, approval.Id, approve: true, "release checks are fine");
        var done = await t.WaitForAsync(created.Id, 90, SessionStates.Succeeded);

        // The branch arrived with the fix, the pull request points at it, the commit names the agent and the person.
        var branch = $"warden/{created.Id}";
        done.Branch.ShouldBe(branch);
        done.Commit.ShouldNotBeNullOrEmpty();
        done.Steps.ShouldBe(6);
        (await t.Git.ReadFileAsync(SessionTestbed.Project, branch, "calc.sh"))!.ShouldContain("$(($1 + $2))");
        var pull = (await t.Git.WaitForPullRequestsAsync(1, TimeSpan.FromSeconds(10))).ShouldHaveSingleItem();
        pull.Head.ShouldBe(branch);
        pull.Base.ShouldBe("main");
        pull.Title.ShouldBe("Fix add in calc.sh");
        pull.Body.ShouldContain(created.Id);
        done.PullRequest.ShouldBe(pull.Url.ToString());
        var commit = t.LastCommit(branch);
        commit.ShouldContain("Warden agent for admin");
        commit.ShouldContain($"agent+{created.Id}@");
        commit.ShouldContain($"Warden-Session: {created.Id}");
        commit.ShouldContain("Requested-by: admin");

        // The model saw the repository's instructions, the failing test and the refused egress; it never saw a credential.
        var requests = t.Model.Requests;
        requests.Count.ShouldBe(6);
        requests[0].Body.ShouldContain("Run the tests with `sh test.sh`");
        requests[0].Header("Authorization").ShouldBe($"Bearer {SessionTestbed.UpstreamKey}");
        requests[2].Body.ShouldContain("FAIL: add 2 3 gave -1");
        requests[4].Body.ShouldContain("status=403");
        requests[5].Body.ShouldContain("PASS");
        requests.ShouldAllBe(r => !r.Body.Contains(SessionTestbed.GitToken));

        // Each request carries the conversation so far, unchanged and in order (the one before, the model's answer and
        // its tool result), and the tools; the conversation is kept serialized and copied into each request.
        for (var i = 1; i < requests.Count; i++)
        {
            var before = Messages(requests[i - 1].Body);
            var now = Messages(requests[i].Body);
            now.Count.ShouldBe(before.Count + 2);
            now.Take(before.Count).ShouldBe(before);
            JsonDocument.Parse(now[^2]).RootElement.GetProperty("role").GetString().ShouldBe("assistant");
            JsonDocument.Parse(now[^1]).RootElement.GetProperty("role").GetString().ShouldBe("tool");
            using var body = JsonDocument.Parse(requests[i].Body);
            body.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()).ShouldContain("finish");
        }

        // The transcript holds each step in order, the approval and the outcome.
        var transcript = await client.ListSessionEventsAsync(SessionTestbed.Org, created.Id);
        transcript.Select(e => e.Seq).ShouldBe(transcript.Select(e => e.Seq).Order());
        var results = transcript.Where(e => e.Kind == SessionEventKinds.ToolResult).Select(e => e.Data).ToList();
        results.Select(r => r.GetProperty("tool").GetString()).ShouldBe(["read_file", "shell", "edit_file", "shell", "shell", "finish"]);
        results[1].GetProperty("exitCode").GetInt32().ShouldBe(1);
        results[4].GetProperty("exitCode").GetInt32().ShouldBe(0);
        transcript.Count(e => e.Kind == SessionEventKinds.Approval).ShouldBe(2);
        transcript.Last().Kind.ShouldBe(SessionEventKinds.Finish);

        // The audit trail: every model call, every tool call with its decision, the refusal, the approval, the push and the pull request.
        var trail = await t.AuditOfAsync(done);
        var actions = trail.Select(e => e.Action).ToList();
        actions.Count(a => a == "model.invoke").ShouldBe(6);
        actions.Count(a => a == "shell.exec").ShouldBe(3);
        actions.ShouldContain("file.read");
        actions.ShouldContain("file.write");
        actions.ShouldContain("session.start");
        actions.ShouldContain("approval.request");
        actions.ShouldContain("approval.approve");
        actions.ShouldContain("git.push");
        actions.ShouldContain("pr.open");
        var egress = trail.Where(e => e.Action == "egress.connect").ShouldHaveSingleItem();
        egress.Outcome.ShouldBe("denied");
        egress.ResourceId.ShouldBe($"127.0.0.1:{t.ForbiddenPort}");
        var gated = trail.Single(e => e.Action == "shell.exec" && e.Record.GetRawText().Contains("release-check", StringComparison.Ordinal));
        gated.Record.GetRawText().ShouldContain("approve-release-checks");
        trail.Single(e => e.Action == "approval.approve").ActorId.ShouldNotBe(created.Id);
        trail.Single(e => e.Action == "git.push").Outcome.ShouldBe("success");
        trail.Single(e => e.Action == "pr.open").Record.GetRawText().ShouldContain(pull.Url.ToString());
        trail.ShouldAllBe(e => !e.Record.GetRawText().Contains(SessionTestbed.GitToken));

        // Each call's decision was on the record before it ran (it committed with the turn that asked for it, or with the
        // person's approval), its result after; a refused or rejected call has its denial and no result. The chain holds.
        foreach (var result in transcript.Where(e => e.Kind == SessionEventKinds.ToolResult && e.Data.GetProperty("tool").GetString() != "finish"))
        {
            var callId = result.Data.GetProperty("callId").GetString();
            var events = trail.Where(e => CallId(e) == callId && !e.Action.StartsWith("approval.", StringComparison.Ordinal)).ToList();
            events.Select(e => e.Action).ShouldBe(
                [result.Data.GetProperty("tool").GetString() switch { "read_file" => "file.read", "shell" => "shell.exec", _ => "file.write" }, "tool.result"], callId);
            events[0].Outcome.ShouldBe("success");
            events[1].Sequence.ShouldBeGreaterThan(events[0].Sequence);
            if (trail.SingleOrDefault(e => e.Action == "approval.approve" && CallId(e) == callId) is { } approved)
            {
                events[0].Sequence.ShouldBeGreaterThan(approved.Sequence, "a gated call is authorised once the person approved");
            }
        }

        (await client.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    /// <summary>A Warden-recorded event's worker call id, if it names one.</summary>
    internal static string? CallId(AuditEventDto e) =>
        e.Record.TryGetProperty("details", out var details) && details.TryGetProperty("callId", out var id) ? id.GetString() : null;

    [Fact]
    public async Task AServerRestart_WhileAToolCallRuns_ResumesIt_TheCallRunsOnce_AndItsDecisionAndResultAreRecordedOnce()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(
        [
            // The command waits for a file named go, then removes it: had it run a second time, it would never end.
            SessionTestbed.Call("call_wait", "shell", """{"command":"while [ ! -f go ]; do sleep 0.1; done; rm go; echo went"}"""),
            ScriptedModel.ScriptedTurn.Reply("Waited; nothing to change."),
        ]);
        var created = await t.CreateAsync();
        await WorkerTestbed.Until(() => t.Model.RequestCount == 1 && t.Worker.Sessions.Contains(created.Id), "the command runs", 90);

        // The turn, the call's decision and its audit event were one write; the server goes while the call runs.
        await t.Bed.StopServerAsync();
        await WorkerTestbed.Until(() => !t.Worker.IsConnected, "the worker sees the server go");
        await t.Bed.StartServerAsync();
        await WorkerTestbed.Until(() => t.Worker.Registrations >= 2 && t.Worker.IsConnected, "the worker reconnects");
        await File.WriteAllTextAsync(Path.Combine(t.Worker.Workspaces.WorkspacePath(created.Id), "go"), string.Empty);
        var done = await t.WaitForAsync(created.Id, 90, SessionStates.Succeeded);

        t.Model.RequestCount.ShouldBe(2);
        using var client = t.Client();
        var transcript = await client.ListSessionEventsAsync(SessionTestbed.Org, created.Id);
        var result = transcript.Where(e => e.Kind == SessionEventKinds.ToolResult).ShouldHaveSingleItem().Data;
        result.GetProperty("output").GetString()!.ShouldContain("went");
        var callId = result.GetProperty("callId").GetString();
        var trail = await t.AuditOfAsync(done);
        var call = trail.Where(e => CallId(e) == callId).ToList();
        call.Select(e => e.Action).ShouldBe(["shell.exec", "tool.result"], "the resumed run acted on the stored decision instead of deciding again");
        call[0].Outcome.ShouldBe("success");
        call[1].Outcome.ShouldBe("success");
        transcript.Where(e => e.Kind == SessionEventKinds.Status).Select(e => e.Data.GetProperty("text").GetString()).ShouldContain(s => s!.StartsWith("Resumed", StringComparison.Ordinal));
        (await client.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task ACommandPolicyForbids_IsRefusedWithTheReason_AndTheAgentCarriesOn()
    {
        await using var t = await SessionTestbed.StartAsync();
        await t.PushPoliciesAsync("""
            @id("no-force-removal")
            forbid (principal is Warden::Agent, action == Warden::Action::"shell.exec", resource)
            when { context.command like "*rm -rf*" };
            """);
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_rm", "shell", """{"command":"rm -rf ."}"""),
            SessionTestbed.Call("call_ls", "shell", """{"command":"ls"}"""),
            ScriptedModel.ScriptedTurn.Reply("I could not remove the files: policy forbids it. Nothing changed."),
        ]);

        var session = await t.WaitForAsync((await t.CreateAsync("Clean up")).Id, 90, SessionStates.Succeeded);

        session.StateReason!.ShouldContain("without changes");
        session.Branch.ShouldBeNull();
        (await t.Git.BranchesAsync(SessionTestbed.Project)).ShouldBe(["main"]);
        using var client = t.Client();
        var results = (await client.ListSessionEventsAsync(SessionTestbed.Org, session.Id)).Where(e => e.Kind == SessionEventKinds.ToolResult).Select(e => e.Data).ToList();
        results[0].GetProperty("status").GetString().ShouldBe("denied");
        results[0].GetProperty("forModel").GetString()!.ShouldContain("no-force-removal");
        results[1].GetProperty("status").GetString().ShouldBe("ok");
        results[1].GetProperty("output").GetString()!.ShouldContain("calc.sh");
        t.Model.Requests[1].Body.ShouldContain("Denied by policy");
        var denied = (await t.AuditOfAsync(session)).Where(e => e.Action == "shell.exec" && e.Outcome == "denied").ShouldHaveSingleItem();
        denied.Record.GetRawText().ShouldContain("no-force-removal");
    }

    [Fact]
    public async Task AServerRestart_WhileTheSessionWaitsForApproval_ResumesIt_OnTheSameWorkspace()
    {
        await using var t = await SessionTestbed.StartAsync("postgres");
        await t.PushPoliciesAsync(ApprovalPolicy);
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_fix", "edit_file", """{"path":"calc.sh","edits":[{"old_text":"$1 - $2","new_text":"$1 + $2"}]}"""),
            SessionTestbed.Call("call_check", "shell", """{"command":"sh test.sh && echo release-check-ok"}"""),
            SessionTestbed.Call("call_finish", "finish", """{"summary":"Fixed add."}"""),
        ]);
        var created = await t.CreateAsync();
        await t.WaitForAsync(created.Id, 90, SessionStates.Waiting);

        await t.Bed.StopServerAsync();
        await WorkerTestbed.Until(() => !t.Worker.IsConnected, "the worker sees the server go");
        await t.Bed.StartServerAsync();
        await WorkerTestbed.Until(() => t.Worker.Registrations >= 2 && t.Worker.IsConnected, "the worker reconnects");

        using var client = t.Client();
        ApprovalDto? approval = null;
        await WorkerTestbed.Until(async () => (approval = (await client.ListSessionApprovalsAsync(SessionTestbed.Org, created.Id)).SingleOrDefault(a => a.State == "pending")) is not null,
            "the approval is still pending after the restart");
        await client.DecideApprovalAsync(SessionTestbed.Org, created.Id, approval!.Id, approve: true);
        var done = await t.WaitForAsync(created.Id, 90, SessionStates.Succeeded);

        // The edit made before the restart is in the pushed branch: the same workspace carried on.
        (await t.Git.ReadFileAsync(SessionTestbed.Project, done.Branch!, "calc.sh"))!.ShouldContain("$(($1 + $2))");
        t.Model.RequestCount.ShouldBe(3);
        var transcript = await client.ListSessionEventsAsync(SessionTestbed.Org, created.Id);
        transcript.Count(e => e.Kind == SessionEventKinds.ToolResult && e.Data.GetProperty("tool").GetString() == "edit_file").ShouldBe(1);
        transcript.Where(e => e.Kind == SessionEventKinds.Status).Select(e => e.Data.GetProperty("text").GetString()).ShouldContain(s => s!.StartsWith("Resumed", StringComparison.Ordinal));
        var check = transcript.Single(e => e.Kind == SessionEventKinds.ToolResult && e.Data.GetProperty("tool").GetString() == "shell").Data;
        check.GetProperty("output").GetString()!.ShouldContain("release-check-ok");
    }

    [Fact]
    public async Task CancellingARunningSession_EndsItAndItsWorkspace_AndRetryStartsAFreshOne()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(SessionTestbed.Call("call_sleep", "shell", """{"command":"sleep 120"}"""));
        var created = await t.CreateAsync();
        using var client = t.Client();
        await WorkerTestbed.Until(() => t.Worker.Sessions.Contains(created.Id) && t.Model.RequestCount == 1, "the long command runs", 90);

        var cancelled = await client.CancelSessionAsync(SessionTestbed.Org, created.Id, "wrong task");
        cancelled.State.ShouldBe(SessionStates.Cancelled);
        await WorkerTestbed.Until(() => !t.Worker.Sessions.Contains(created.Id), "the worker ends the session", 30);
        var again = await client.GetSessionAsync(SessionTestbed.Org, created.Id);
        again.State.ShouldBe(SessionStates.Cancelled);
        again.StateReason!.ShouldContain("wrong task");
        (await t.AuditOfAsync(again)).Select(e => e.Action).ShouldContain("session.cancel");

        var problem = await Should.ThrowAsync<Warden.Client.WardenApiException>(client.CancelSessionAsync(SessionTestbed.Org, created.Id));
        problem.Status.ShouldBe(409);

        t.Model.Enqueue(ScriptedModel.ScriptedTurn.Reply("Nothing to do."));
        var retry = await client.RetrySessionAsync(SessionTestbed.Org, created.Id);
        retry.Id.ShouldNotBe(created.Id);
        retry.RetryOf.ShouldBe(created.Id);
        (await t.WaitForAsync(retry.Id, 90, SessionStates.Succeeded)).Instruction.ShouldBe(created.Instruction);
    }

    private static List<string> Messages(string body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetRawText()).ToList();
    }
}
