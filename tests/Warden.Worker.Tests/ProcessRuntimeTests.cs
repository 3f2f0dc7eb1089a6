using System.Collections.Concurrent;
using System.Text.Json;
using Warden.Protocol;
using Warden.Worker.Runtime;

namespace Warden.Worker.Tests;

public sealed class ProcessRuntimeTests : IDisposable
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("warden-ws-").FullName;

    public void Dispose() => Directory.Delete(_workspace, true);

    private static ToolCall Shell(string command, int? timeoutMs = null) =>
        new("c-" + Guid.NewGuid().ToString("N")[..6], "shell", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["command"] = command }), timeoutMs);

    [Fact]
    public async Task Shell_RunsInTheWorkspace_StreamsOutput_AndReportsTheExitCode()
    {
        await using var runtime = new ProcessSessionRuntime(new SessionRuntimeContext("s1", _workspace, new SessionLimits()));
        var chunks = new ConcurrentQueue<ToolOutputChunk>();

        var ok = await runtime.ExecuteAsync(Shell("pwd; echo oops >&2; echo $WARDEN_SESSION"), c => { chunks.Enqueue(c); return ValueTask.CompletedTask; }, CancellationToken.None);
        var failed = await runtime.ExecuteAsync(Shell("exit 3"), _ => ValueTask.CompletedTask, CancellationToken.None);

        ok.Status.ShouldBe(ToolStatus.Ok);
        ok.ExitCode.ShouldBe(0);
        ok.Output!.ShouldContain(_workspace);
        ok.Output!.ShouldContain("oops");
        ok.Output!.ShouldContain("s1");
        chunks.ShouldContain(c => c.Stream == "stderr" && c.Text.Contains("oops"));
        chunks.ShouldContain(c => c.Stream == "stdout");
        failed.Status.ShouldBe(ToolStatus.Failed);
        failed.ExitCode.ShouldBe(3);
    }

    [Fact]
    public async Task Shell_SeesNoneOfTheWorkersEnvironment_AndIsStoppedAtItsTimeout()
    {
        Environment.SetEnvironmentVariable("WARDEN_WORKER_TOKEN_TEST", "wjt_secret_value");
        await using var runtime = new ProcessSessionRuntime(new SessionRuntimeContext("s1", _workspace, new SessionLimits { OutputBytes = 200 }));

        var env = await runtime.ExecuteAsync(Shell("env"), _ => ValueTask.CompletedTask, CancellationToken.None);
        var slow = await runtime.ExecuteAsync(Shell("sleep 30", timeoutMs: 200), _ => ValueTask.CompletedTask, CancellationToken.None);
        var loud = await runtime.ExecuteAsync(Shell("seq 1 5000"), _ => ValueTask.CompletedTask, CancellationToken.None);
        var unknown = await runtime.ExecuteAsync(new ToolCall("c", "read_file", JsonSerializer.SerializeToElement(new { path = "x" })), _ => ValueTask.CompletedTask, CancellationToken.None);

        env.Output!.ShouldNotContain("wjt_secret_value");
        slow.Status.ShouldBe(ToolStatus.TimedOut);
        slow.DurationMs.ShouldBeLessThan(10_000);
        loud.Truncated.ShouldBeTrue();
        loud.Output!.ShouldStartWith("1\n2\n");
        loud.Output!.ShouldEndWith("5000\n");
        unknown.Status.ShouldBe(ToolStatus.Error);
    }
}
