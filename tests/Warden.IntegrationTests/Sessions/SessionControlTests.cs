using Warden.Client.Contracts;
using Warden.Data.Sessions;
using Warden.IntegrationTests.Workers;
using Warden.ScriptedModel;

namespace Warden.IntegrationTests.Sessions;

/// <summary>
/// People steering a running session, and the limits that end one: a message sent in mid-step reaches the model
/// before its next call, a rejected action tells the agent who refused and why, step and cost limits end the session
/// with the limit named, a worker that dies and does not return fails it with the reason, and a sub-agent's work
/// comes back to the session that started it.
/// </summary>
public sealed class SessionControlTests
{
    /// <summary>A command that waits until the test drops a file named <c>go</c> into the workspace, then removes it.</summary>
    private const string WaitForGo = """{"command":"while [ ! -f go ]; do sleep 0.1; done; rm go; echo went"}""";

    [Fact]
    public async Task AMessageSentDuringAStep_ReachesTheModelBeforeItsNextCall()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_wait", "shell", WaitForGo),
            ScriptedTurn.Reply("Noted; nothing else to change."),
        ]);
        var session = await t.CreateAsync();
        await WorkerTestbed.Until(() => t.Model.RequestCount == 1 && t.Worker.Sessions.Contains(session.Id), "the first command runs", 90);
        using var client = t.Client();

        await client.SendSessionMessageAsync(SessionTestbed.Org, session.Id, "Please also keep the README short.");
        await File.WriteAllTextAsync(Path.Combine(t.Worker.Workspaces.WorkspacePath(session.Id), "go"), string.Empty);
        var done = await t.WaitForAsync(session.Id, 90, SessionStates.Succeeded);

        t.Model.Requests[1].Body.ShouldContain("Message from admin: Please also keep the README short.");
        t.Model.Requests[0].Body.ShouldNotContain("keep the README short");
        var transcript = await client.ListSessionEventsAsync(SessionTestbed.Org, done.Id);
        var message = transcript.Single(e => e.Kind == SessionEventKinds.Message);
        message.Data.GetProperty("by").GetString().ShouldBe("admin");
        message.Seq.ShouldBeGreaterThan(transcript.Single(e => e.Kind == SessionEventKinds.ToolResult).Seq);
        var problem = await Should.ThrowAsync<Warden.Client.WardenApiException>(client.SendSessionMessageAsync(SessionTestbed.Org, done.Id, "too late"));
        problem.Status.ShouldBe(409);
    }

    [Fact]
    public async Task ARejectedAction_IsNotRun_AndTheAgentHearsWhoRefusedAndWhy()
    {
        await using var t = await SessionTestbed.StartAsync();
        await t.PushPoliciesAsync("""
            @id("approve-installs")
            @approval("required")
            permit (principal is Warden::Agent, action == Warden::Action::"shell.exec", resource)
            when { context.command like "*install*" };
            """);
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_install", "shell", """{"command":"echo install > installed.txt"}"""),
            ScriptedTurn.Reply("I will not install anything then."),
        ]);
        var session = await t.CreateAsync();
        await t.WaitForAsync(session.Id, 90, SessionStates.Waiting);
        using var client = t.Client();
        var approval = (await client.ListSessionApprovalsAsync(SessionTestbed.Org, session.Id)).ShouldHaveSingleItem();

        var decided = await client.DecideApprovalAsync(SessionTestbed.Org, session.Id, approval.Id, approve: false, "no new dependencies this week");
        var done = await t.WaitForAsync(session.Id, 90, SessionStates.Succeeded);

        decided.State.ShouldBe("rejected");
        decided.DecidedBy.ShouldBe("admin");
        t.Model.Requests[1].Body.ShouldContain("A person rejected this call. Rejected by admin: no new dependencies this week.");
        done.StateReason!.ShouldContain("without changes");
        var result = (await client.ListSessionEventsAsync(SessionTestbed.Org, session.Id)).Single(e => e.Kind == SessionEventKinds.ToolResult).Data;
        result.GetProperty("status").GetString().ShouldBe("rejected");
        var again = await Should.ThrowAsync<Warden.Client.WardenApiException>(client.DecideApprovalAsync(SessionTestbed.Org, session.Id, approval.Id, approve: true));
        again.Status.ShouldBe(409);
        var trail = await t.AuditOfAsync(done);
        trail.ShouldContain(e => e.Action == "approval.reject");
        trail.ShouldContain(e => e.Action == "shell.exec" && e.Outcome == "denied");
    }

    [Fact]
    public async Task TheStepLimit_EndsTheSession_NamingTheLimit()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(Enumerable.Range(1, 5).Select(i => SessionTestbed.Call($"call_{i}", "shell", $$"""{"command":"echo step {{i}}"}""")));
        using var client = t.Client();
        var session = await client.CreateSessionAsync(SessionTestbed.Org, new CreateSessionRequest("calc", "Loop forever", MaxSteps: 2));

        var failed = await t.WaitForAsync(session.Id, 90, SessionStates.Failed);

        failed.StateReason.ShouldBe("Step limit reached: 2 model calls.");
        failed.Steps.ShouldBe(2);
        t.Model.RequestCount.ShouldBe(2);
        await WorkerTestbed.Until(() => !t.Worker.Sessions.Contains(session.Id), "the worker ends the session's workspace");
    }

    [Fact]
    public async Task TheTimeLimit_EndsTheSessionAtItsNextStep_NamingTheLimit()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_wait", "shell", WaitForGo),
            SessionTestbed.Call("call_more", "shell", """{"command":"echo more"}"""),
        ]);
        using var client = t.Client();
        var session = await client.CreateSessionAsync(SessionTestbed.Org, new CreateSessionRequest("calc", "Take your time", MaxMinutes: 10));
        await WorkerTestbed.Until(() => t.Model.RequestCount == 1 && t.Worker.Sessions.Contains(session.Id), "the first command runs", 90);

        // The server's clock moves past the limit while the command runs.
        t.Bed.Time.Advance(TimeSpan.FromMinutes(11));
        await File.WriteAllTextAsync(Path.Combine(t.Worker.Workspaces.WorkspacePath(session.Id), "go"), string.Empty);
        var failed = await t.WaitForAsync(session.Id, 60, SessionStates.Failed);

        failed.StateReason.ShouldBe("Time limit reached: 10 minutes.");
        t.Model.RequestCount.ShouldBe(1);
        var results = (await client.ListSessionEventsAsync(SessionTestbed.Org, session.Id)).Where(e => e.Kind == SessionEventKinds.ToolResult).ToList();
        results.ShouldHaveSingleItem().Data.GetProperty("output").GetString()!.ShouldContain("went");
    }

    [Fact]
    public async Task TheCostLimit_StopsTheSessionBeforeItSpendsMore()
    {
        await using var t = await SessionTestbed.StartAsync();
        using var client = t.Client();
        // About 300 tokens a call at $1,000 per million: some $0.30 a call against a $0.50 limit.
        await client.SetModelPriceAsync(SessionTestbed.Org, new PutModelPriceRequest("scripted-coder", 1000m, 1000m));
        t.Model.Enqueue(Enumerable.Range(1, 20).Select(i => SessionTestbed.Call($"call_{i}", "shell", $$"""{"command":"echo step {{i}}"}""")));
        var session = await client.CreateSessionAsync(SessionTestbed.Org, new CreateSessionRequest("calc", "Spend", MaxCostUsd: 0.5m));

        var failed = await t.WaitForAsync(session.Id, 90, SessionStates.Failed);

        failed.StateReason!.ShouldStartWith("Cost limit reached");
        failed.CostUsd.ShouldBeGreaterThanOrEqualTo(0.5m);
        // The limit is checked before each call: the call that crossed it is the last one made.
        t.Model.RequestCount.ShouldBeInRange(2, 3);
        var costs = (await client.ListSessionEventsAsync(SessionTestbed.Org, session.Id)).Where(e => e.Kind == SessionEventKinds.Assistant)
            .Select(e => e.Data.GetProperty("costMicros").GetInt64()).ToList();
        costs.Count.ShouldBe(t.Model.RequestCount);
        (costs.Sum() - costs[^1]).ShouldBeLessThan(500_000);
        costs.Sum().ShouldBe((long)(failed.CostUsd * 1_000_000m));
    }

    [Fact]
    public async Task AWorkerThatDiesAndDoesNotReturn_FailsItsSession_WithTheReason()
    {
        await using var t = await SessionTestbed.StartAsync();
        t.Model.Enqueue(SessionTestbed.Call("call_wait", "shell", WaitForGo));
        var session = await t.CreateAsync();
        await WorkerTestbed.Until(() => t.Model.RequestCount == 1 && t.Worker.Sessions.Contains(session.Id), "the command runs", 90);

        await t.Bed.KillAsync(t.Worker);
        await WorkerTestbed.Until(async () => (await t.Bed.WorkerAsync(t.Worker.WorkerId!)).State == "lost", "the server sees the worker lost");
        t.Bed.Time.Advance(TimeSpan.FromSeconds(61));
        await t.Bed.Hub.SweepAsync();
        var failed = await t.WaitForAsync(session.Id, 30, SessionStates.Failed);

        failed.StateReason!.ShouldContain("did not return within the 60 s grace period");
        failed.StateReason!.ShouldContain("sandboxed");
    }

    [Fact]
    public async Task ASubAgent_WorksOnItsOwnSession_AndItsDiffComesBackToTheParent()
    {
        await using var t = await SessionTestbed.StartAsync();
        // One model serves both sessions: the parent asks for a helper and then waits, so the turns come in this order.
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_spawn", "spawn_subagent", """{"instruction":"Fix add in calc.sh"}"""),
            SessionTestbed.Call("call_fix", "edit_file", """{"path":"calc.sh","edits":[{"old_text":"$1 - $2","new_text":"$1 + $2"}]}"""),
            ScriptedTurn.Reply("Fixed add."),
            ScriptedTurn.Reply("The helper fixed it; its diff is above."),
        ]);
        var parent = await t.CreateAsync();

        var done = await t.WaitForAsync(parent.Id, 120, SessionStates.Succeeded);

        using var client = t.Client();
        var child = (await client.ListSessionsAsync(SessionTestbed.Org, new Dictionary<string, string?> { ["parent"] = parent.Id })).ShouldHaveSingleItem();
        child.ParentId.ShouldBe(parent.Id);
        child.State.ShouldBe(SessionStates.Succeeded);
        child.Instruction.ShouldEndWith("Fix add in calc.sh");
        child.Branch.ShouldBeNull();
        var spawn = (await client.ListSessionEventsAsync(SessionTestbed.Org, done.Id)).Single(e => e.Kind == SessionEventKinds.ToolResult).Data;
        spawn.GetProperty("tool").GetString().ShouldBe("spawn_subagent");
        spawn.GetProperty("child").GetString().ShouldBe(child.Id);
        spawn.GetProperty("forModel").GetString()!.ShouldContain("+echo $(($1 + $2))");
        t.Model.Requests[3].Body.ShouldContain("Fixed add.");
        // The child was offered no spawn tool of its own.
        t.Model.Requests[1].Body.ShouldNotContain("spawn_subagent");
        t.Model.Requests[0].Body.ShouldContain("spawn_subagent");
    }

    [Fact]
    public async Task ALongConversation_IsCompacted_IntoTheModelsOwnSummary_BeforeItFillsTheWindow()
    {
        // A 3,000-token window compacted at 70 %: one long command output is enough.
        await using var t = await SessionTestbed.StartAsync(sessions: o => o with { ContextWindowTokens = 3_000, CompactAt = 0.7 });
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_seq", "shell", """{"command":"seq 1 3000"}"""),
            ScriptedTurn.Reply("Summary: I printed the numbers 1 to 3000; nothing changed."),
            ScriptedTurn.Reply("Done: nothing to change."),
        ]);

        var done = await t.WaitForAsync((await t.CreateAsync("Count")).Id, 90, SessionStates.Succeeded);

        var requests = t.Model.Requests;
        requests.Count.ShouldBe(3);
        requests[1].Body.ShouldContain("2999");
        requests[1].Body.ShouldContain("about to exceed the model's window");
        requests[2].Body.ShouldContain("Summary of your work so far");
        requests[2].Body.ShouldContain("I printed the numbers 1 to 3000");
        requests[2].Body.ShouldNotContain("2999");
        requests[2].Body.ShouldContain("Run the tests with `sh test.sh`");
        using var client = t.Client();
        var compaction = (await client.ListSessionEventsAsync(SessionTestbed.Org, done.Id)).Single(e => e.Kind == SessionEventKinds.Compaction).Data;
        compaction.GetProperty("summary").GetString()!.ShouldStartWith("Summary: I printed");
        compaction.GetProperty("tokensBefore").GetInt64().ShouldBeGreaterThan(2_100);
        done.Steps.ShouldBe(3);
    }
}
