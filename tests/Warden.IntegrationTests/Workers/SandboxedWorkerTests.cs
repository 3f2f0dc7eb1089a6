using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Warden.Client.Contracts;
using Warden.Protocol;
using Warden.Sandbox;
using Warden.Server.Workers;
using Warden.Worker.Runtime;

namespace Warden.IntegrationTests.Workers;

/// <summary>
/// A real worker with the real bubblewrap sandbox behind the real server: a repository cloned over git, the file and
/// shell tools through the protocol, and egress decided by the org's policy and audited, denied and allowed.
/// </summary>
public sealed class SandboxedWorkerTests
{
    private static readonly Dictionary<string, string> NoLabels = [];

    private static ToolCall Call(string id, string tool, object args) => new(id, tool, JsonSerializer.SerializeToElement(args));

    private static async Task<ToolResult> RunAsync(WorkerTestbed bed, string session, ToolCall call, StringBuilder? streamed = null) =>
        await bed.Dispatcher.ExecuteToolAsync(session, call, chunk =>
        {
            streamed?.Append(chunk.Text);
            return ValueTask.CompletedTask;
        }, CancellationToken.None);

    private static string Git(string dir, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, output);
        return output;
    }

    private static string Repository(WorkerTestbed bed)
    {
        var source = Path.Combine(bed.Db.Folder, "source");
        Directory.CreateDirectory(source);
        Git(source, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(source, "README.md"), "# Demo\nhello sandbox\n");
        Git(source, "add", ".");
        Git(source, "commit", "-q", "-m", "first");
        var bare = Path.Combine(bed.Db.Folder, "remote.git");
        Git(bed.Db.Folder, "clone", "-q", "--bare", source, bare);
        return "file://" + bare;
    }

    [Fact]
    public async Task ASandboxedSession_WorksOnItsClone_SeesNoWorkerSecrets_AndItsEgressIsDecidedByPolicyAndAudited()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var token = await bed.JoinTokenAsync("linux");
        var runtime = new SandboxSessionRuntimeFactory(SandboxRuntime.Create(), allowPrivateEgressTargets: true);
        runtime.IsSandboxed.ShouldBeTrue();
        var options = bed.Options(token, "sandboxed");
        await bed.StartWorkerAsync(options, runtime);
        var workerSecret = (await File.ReadAllTextAsync(Path.Combine(options.DataDirectory, "worker-secret"))).Trim();
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "s1", new WorkspaceRequest(Repository(bed)), CancellationToken.None);

        // The clone is there, the file tools work on it and the change shows in git.
        var read = await RunAsync(bed, "s1", Call("c1", "read_file", new { path = "README.md" }));
        read.Status.ShouldBe(ToolStatus.Ok, read.Error);
        read.Result!.Value.GetRawText().ShouldContain("hello sandbox");
        (await RunAsync(bed, "s1", Call("c2", "edit_file", new { path = "README.md", edits = new[] { new { old_text = "hello sandbox", new_text = "hello warden" } } }))).Status.ShouldBe(ToolStatus.Ok);
        var diff = await RunAsync(bed, "s1", Call("c3", "git_diff", new { }));
        diff.Output!.ShouldContain("+hello warden");
        (await RunAsync(bed, "s1", Call("c4", "read_file", new { path = "../../etc/passwd" }))).Status.ShouldBe(ToolStatus.Error);

        // Inside: the workspace, streamed output, none of the worker's environment or files.
        var streamed = new StringBuilder();
        var shell = await RunAsync(bed, "s1", Call("c5", "shell", new { command = "cat README.md; env; ls /root 2>&1; echo marker-$((6*7))" }), streamed);
        shell.Status.ShouldBe(ToolStatus.Ok, shell.Output);
        streamed.ToString().ShouldContain("marker-42");
        shell.Output!.ShouldContain("hello warden");
        shell.Output!.ShouldNotContain(token);
        shell.Output!.ShouldNotContain("WARDEN_TEST_POSTGRES");
        // The worker's own identity: its data folder is not in the sandbox, by path or through /proc.
        var identity = await RunAsync(bed, "s1", Call("c5b", "shell", new
        {
            command = $"cat '{options.DataDirectory}/worker-secret' '{options.DataDirectory}/worker-id' 2>&1; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c wks_; ls /proc/*/root/ 2>&1 | head -3",
        }));
        identity.Output!.ShouldNotContain(workerSecret);
        identity.Output!.ShouldContain("No such file or directory");
        (await RunAsync(bed, "s1", Call("c6", "write_file", new { path = ".git/hooks/post-commit", content = "#!/bin/sh\ntouch /tmp/pwned\n" }))).Status.ShouldBe(ToolStatus.Error);

        // Egress: a listener on the host's loopback. Direct: no route. Through the proxy: denied until policy permits it.
        using var listener = new HelloListener();
        var port = listener.Port;
        var direct = await RunAsync(bed, "s1", Call("c7", "shell", new { command = $"curl -s --noproxy '*' -m 5 -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/ ; echo \" exit=$?\"" }));
        direct.Output!.ShouldNotContain("200");
        var denied = await RunAsync(bed, "s1", Call("c8", "shell", new { command = $"curl -s --noproxy '' -m 10 -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{port}/" }));
        denied.Output!.ShouldContain("403");

        using var client = bed.Client();
        await client.PushPoliciesAsync("default", new PushPolicyRequest(new Dictionary<string, string>
        {
            ["policies.cedar"] = $$"""
                @id("test-listener")
                permit (principal is Warden::Agent, action == Warden::Action::"egress.connect", resource == Warden::Host::"127.0.0.1")
                when { context.port == {{port}} };
                """,
        }));
        var allowed = await RunAsync(bed, "s1", Call("c9", "shell", new { command = $"curl -s --noproxy '' -m 10 http://127.0.0.1:{port}/" }));
        allowed.Output!.ShouldContain(HelloListener.Body);

        await WorkerTestbed.Until(async () =>
        {
            var events = (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "egress.connect" })).Events;
            return events.Any(e => e.Outcome == "denied") && events.Any(e => e.Outcome == "success");
        }, "both egress attempts are in the audit ledger");
        var trail = (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "egress.connect" })).Events;
        trail.ShouldAllBe(e => e.ResourceId == $"127.0.0.1:{port}" && e.SessionId == "s1");
        trail.First(e => e.Outcome == "success").Record.GetRawText().ShouldContain("test-listener");

        await bed.Dispatcher.EndSessionAsync("s1", "done", CancellationToken.None);
    }
}
