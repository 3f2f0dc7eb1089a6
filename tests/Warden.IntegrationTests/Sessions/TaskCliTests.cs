using System.Text.Json;
using Warden.Client.Contracts;
using Warden.Data.Sessions;

namespace Warden.IntegrationTests.Sessions;

/// <summary>
/// <c>warden task ...</c> against a real server and sandboxed worker: <c>run</c> follows the session live to its pull
/// request while another terminal approves the waiting command; list, show, diff, approvals; clear one-line errors.
/// </summary>
public sealed class TaskCliTests : IDisposable
{
    private readonly string _config = Directory.CreateTempSubdirectory("warden-cli-").FullName;

    public void Dispose() => Directory.Delete(_config, recursive: true);

    private Task<(int Code, string Out, string Err)> Run(params string[] args) => CliRunner.RunAsync(_config, args);

    [Fact]
    public async Task TaskRun_FollowsTheSessionLive_ThroughAnApprovalGivenFromAnotherTerminal_ToThePullRequest()
    {
        await using var t = await SessionTestbed.StartAsync();
        await t.PushPoliciesAsync("""
            @id("approve-release-checks")
            @approval("required")
            permit (principal is Warden::Agent, action == Warden::Action::"shell.exec", resource)
            when { context.command like "*release-check*" };
            """);
        t.Model.Enqueue(
        [
            SessionTestbed.Call("call_fix", "edit_file", """{"path":"calc.sh","edits":[{"old_text":"$1 - $2","new_text":"$1 + $2"}]}"""),
            SessionTestbed.Call("call_check", "shell", """{"command":"sh test.sh && echo release-check-ok"}"""),
            SessionTestbed.Call("call_finish", "finish", """{"title":"Fix add","summary":"add adds now."}"""),
        ]);
        (await Run("login", "--server", t.Bed.BaseAddress.ToString(), "--token", t.Bed.AdminToken)).Code.ShouldBe(0);

        var run = Task.Run(() => Run("task", "run", "--repo", "calc", "--max-steps", "10", "Fix add in calc.sh"));
        using var client = t.Client();
        SessionDto? session = null;
        await Workers.WorkerTestbed.Until(async () => (session = (await client.ListSessionsAsync(SessionTestbed.Org)).SingleOrDefault())?.State == SessionStates.Waiting || run.IsCompleted,
            "the session waits for approval", 90);
        run.IsCompleted.ShouldBeFalse();
        var approvals = await Run("task", "approvals", session!.Id, "--json");
        approvals.Code.ShouldBe(0, approvals.Err);
        var pending = JsonSerializer.Deserialize(approvals.Out, SessionJsonContext.Default.IReadOnlyListApprovalDto)!.ShouldHaveSingleItem();
        var approve = await Run("task", "approve", session.Id, pending.Id, "--comment", "fine");
        approve.Code.ShouldBe(0, approve.Err);
        var (code, output, error) = await run.WaitAsync(TimeSpan.FromSeconds(90));

        code.ShouldBe(0, output + error);
        output.ShouldContain($"Session {session.Id}: calc@main");
        output.ShouldContain("→  edit_file");
        output.ShouldContain("✓ edit_file: ok");
        output.ShouldContain($"⏸  Waiting for approval {pending.Id}: shell.exec");
        output.ShouldContain($"warden task approve {session.Id} {pending.Id}");
        output.ShouldContain($"▶  Approval {pending.Id} approved by admin: fine");
        output.ShouldContain("✓ shell: ok (exit 0)");
        output.ShouldContain("[step 2/10");
        output.ShouldContain($"Session {session.Id} succeeded");
        output.ShouldContain($"branch warden/{session.Id} at ");
        output.ShouldContain("pull request http");
        output.IndexOf("Waiting for approval", StringComparison.Ordinal).ShouldBeLessThan(output.IndexOf("approved by admin", StringComparison.Ordinal));

        var list = await Run("task", "list", "--json");
        JsonSerializer.Deserialize(list.Out, SessionJsonContext.Default.IReadOnlyListSessionDto)!.ShouldHaveSingleItem().State.ShouldBe(SessionStates.Succeeded);
        var show = await Run("task", "show", session.Id);
        show.Code.ShouldBe(0, show.Err);
        show.Out.ShouldContain("succeeded");
        var diff = await Run("task", "diff", session.Id);
        diff.Code.ShouldBe(0, diff.Err);
        diff.Out.ShouldContain("+echo $(($1 + $2))");
    }

    [Fact]
    public async Task TaskCommands_RefuseBadInput_WithOneLineAndANonZeroExit()
    {
        await using var t = await SessionTestbed.StartAsync();
        (await Run("login", "--server", t.Bed.BaseAddress.ToString(), "--token", t.Bed.AdminToken)).Code.ShouldBe(0);

        var unknownRepo = await Run("task", "run", "--repo", "nope", "do things");
        var badLimit = await Run("task", "run", "--repo", "calc", "--max-cost", "-1", "do things");
        var unknownSession = await Run("task", "show", "ses_doesnotexist");
        var noRepo = await Run("task", "run", "do things");

        foreach (var (code, _, err) in new[] { unknownRepo, badLimit, unknownSession, noRepo })
        {
            code.ShouldNotBe(0);
            err.Trim().Split('\n').Length.ShouldBe(1, err);
        }

        unknownRepo.Err.ShouldContain("nope");
        badLimit.Err.ShouldContain("maxCostUsd");
        unknownSession.Err.ShouldContain("ses_doesnotexist");
        noRepo.Err.ShouldContain("--repo");
        using var client = t.Client();
        (await client.ListSessionsAsync(SessionTestbed.Org)).ShouldBeEmpty();
    }
}
