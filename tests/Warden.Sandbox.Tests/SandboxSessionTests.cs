using System.Diagnostics;
using System.Text;
using Warden.Sandbox.Tests.Support;
using Xunit.Abstractions;

namespace Warden.Sandbox.Tests;

[Collection(SandboxCollection.Name)]
public sealed class SandboxSessionTests(SandboxFixture fixture, ITestOutputHelper output)
{
    private Task<SandboxSession> NewSessionAsync(TestWorkspace workspace, SandboxLimits? limits = null, IReadOnlyDictionary<string, string>? environment = null) =>
        fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions
        {
            SessionId = "t-" + Guid.NewGuid().ToString("N")[..8],
            WorkspaceDirectory = workspace.Path,
            Limits = limits ?? SandboxLimits.Default,
            Environment = environment,
        });

    [Fact]
    public void Probe_FindsWorkingBubblewrapCgroupsAndSocat()
    {
        var report = fixture.Runtime.Report;
        output.WriteLine(string.Join("\n", report.Problems));
        report.BubblewrapWorks.ShouldBeTrue();
        report.CgroupVersion.ShouldNotBe(CgroupVersion.None);
        report.CgroupLimitsAvailable.ShouldBeTrue();
        report.EgressAvailable.ShouldBeTrue();
        report.PrlimitPath.ShouldNotBeNull();
    }

    [Fact]
    public void Create_FailsClearlyWhenBubblewrapIsMissing()
    {
        var e = Should.Throw<SandboxRuntimeException>(() => SandboxRuntime.Create(new SandboxRuntimeOptions
        {
            BubblewrapPath = "/nonexistent/bwrap",
            StateDirectory = Path.Combine(fixture.Root, "state-missing"),
        }));
        e.Message.ShouldContain("bubblewrap");
        SandboxRuntime.Probe(new SandboxRuntimeOptions { BubblewrapPath = "/nonexistent/bwrap" }).BubblewrapWorks.ShouldBeFalse();
    }

    [Fact]
    public async Task RunAsync_StreamsOutputAndReturnsExitCode()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace);
        var chunks = new List<OutputChunk>();
        var result = await session.RunAsync(CommandSpec.Shell("echo out; echo err >&2; pwd; exit 3"), c => { chunks.Add(c); return ValueTask.CompletedTask; });
        result.ExitCode.ShouldBe(3);
        result.Signal.ShouldBeNull();
        result.TimedOut.ShouldBeFalse();
        result.Stdout.ShouldBe("out\n/workspace\n");
        result.Stderr.ShouldBe("err\n");
        string.Concat(chunks.Where(c => c.Stream == OutputStreamKind.Stdout).Select(c => c.Text)).ShouldBe("out\n/workspace\n");
        string.Concat(chunks.Where(c => c.Stream == OutputStreamKind.Stderr).Select(c => c.Text)).ShouldBe("err\n");
    }

    [Fact]
    public async Task RunAsync_RunsArgvWithStdinWorkingDirectoryAndEnvironment()
    {
        using var workspace = fixture.NewWorkspace();
        Directory.CreateDirectory(workspace.PathOf("sub"));
        await using var session = await NewSessionAsync(workspace, environment: new Dictionary<string, string> { ["SESSION_VAR"] = "s" });
        var result = await session.RunAsync(new CommandSpec
        {
            Arguments = ["sh", "-c", "cat; pwd; echo $SESSION_VAR $COMMAND_VAR $HOME $USER"],
            WorkingDirectory = "sub",
            StdinText = "from stdin\n",
            Environment = new Dictionary<string, string> { ["COMMAND_VAR"] = "c" },
        });
        result.ExitCode.ShouldBe(0);
        result.Stdout.ShouldBe("from stdin\n/workspace/sub\ns c /home/agent agent\n");
    }

    [Fact]
    public async Task RunAsync_RefusesWorkingDirectoryOutsideTheWorkspace()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace);
        await Should.ThrowAsync<Sandbox.Tools.WorkspaceToolException>(() => session.RunAsync(new CommandSpec { Command = "pwd", WorkingDirectory = "../.." }));
        await Should.ThrowAsync<Sandbox.Tools.WorkspaceToolException>(() => session.RunAsync(new CommandSpec { Command = "pwd", WorkingDirectory = "/etc" }));
    }

    [Fact]
    public async Task RunAsync_KeepsHeadAndTailOfHugeOutput()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions
        {
            SessionId = "big",
            WorkspaceDirectory = workspace.Path,
            OutputHeadBytes = 100,
            OutputTailBytes = 50,
        });
        long streamed = 0;
        var result = await session.RunAsync(CommandSpec.Shell("echo START; head -c 1000000 /dev/zero | tr '\\0' x; echo; echo END"), c => { streamed += Encoding.UTF8.GetByteCount(c.Text); return ValueTask.CompletedTask; });
        result.ExitCode.ShouldBe(0);
        streamed.ShouldBe(6 + 1_000_000 + 1 + 4);
        result.Stdout.ShouldStartWith("START\nxxx");
        result.Stdout.ShouldEndWith("xxx\nEND\n");
        result.StdoutOmittedBytes.ShouldBe(6 + 1_000_000 + 1 + 4 - 150);
        result.Stdout.ShouldContain($"[... {result.StdoutOmittedBytes} bytes omitted ...]");
    }

    [Fact]
    public async Task HomeAndTmp_PersistBetweenCommands_AndAreRemovedOnDispose()
    {
        using var workspace = fixture.NewWorkspace();
        var session = await NewSessionAsync(workspace);
        (await session.RunAsync(CommandSpec.Shell("echo a > /tmp/t && echo b > ~/h"))).ExitCode.ShouldBe(0);
        (await session.RunAsync(CommandSpec.Shell("cat /tmp/t ~/h"))).Stdout.ShouldBe("a\nb\n");
        var state = session.StateFolder;
        var cgroups = session.CgroupFolders.ToList();
        Directory.Exists(state).ShouldBeTrue();
        cgroups.ShouldAllBe(c => Directory.Exists(c));
        await session.DisposeAsync();
        Directory.Exists(state).ShouldBeFalse();
        cgroups.ShouldAllBe(c => !Directory.Exists(c));
        await Should.ThrowAsync<ObjectDisposedException>(() => session.RunAsync(CommandSpec.Shell("true")));
    }

    [Fact]
    public async Task Cancellation_KillsTheCommandAndThrows()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace);
        using var cancel = new CancellationTokenSource();
        var run = session.RunAsync(CommandSpec.Shell("echo started; sleep 1000"), c =>
        {
            if (c.Text.Contains("started", StringComparison.Ordinal))
            {
                cancel.Cancel();
            }

            return ValueTask.CompletedTask;
        }, cancel.Token);
        await Should.ThrowAsync<OperationCanceledException>(() => run);
        Cgroups.Processes(session).ShouldBeEmpty();
    }

    [Fact]
    public async Task Dispose_KillsRunningCommands_AndRemovesTheCgroups()
    {
        using var workspace = fixture.NewWorkspace();
        var session = await NewSessionAsync(workspace);
        var folders = session.CgroupFolders.ToList();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = session.RunAsync(CommandSpec.Shell("sleep 1000 & echo started; sleep 1001"), c =>
        {
            if (c.Text.Contains("started", StringComparison.Ordinal))
            {
                started.TrySetResult();
            }

            return ValueTask.CompletedTask;
        });
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Cgroups.Processes(session).ShouldNotBeEmpty();
        await session.DisposeAsync();
        await Should.ThrowAsync<OperationCanceledException>(() => run);
        folders.ShouldAllBe(f => !Directory.Exists(f));
    }

    [Fact]
    public async Task CommandsOfOneSession_MayRunConcurrently()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => session.RunAsync(CommandSpec.Shell($"echo {i} > /tmp/{i}; cat /tmp/{i}"))));
        results.Select(r => r.Stdout).ShouldBe(["0\n", "1\n", "2\n", "3\n"]);
    }

    [Fact]
    public async Task AFailingOutputCallback_StopsTheCommand_AndItsErrorSurfaces()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace);
        var e = await Should.ThrowAsync<InvalidOperationException>(() => session.RunAsync(
            CommandSpec.Shell("echo first; sleep 1000"),
            _ => throw new InvalidOperationException("callback failed")));
        e.Message.ShouldBe("callback failed");
        Cgroups.Processes(session).ShouldBeEmpty();
    }

    [Fact]
    public async Task SessionWallClock_StopsCommandsOnceSpent()
    {
        using var workspace = fixture.NewWorkspace();
        await using var session = await NewSessionAsync(workspace, SandboxLimits.Default with { SessionWallClock = TimeSpan.FromMilliseconds(700) });
        var first = await session.RunAsync(CommandSpec.Shell("sleep 1000"));
        first.TimedOut.ShouldBeTrue();
        first.LimitHit.ShouldBe(SandboxLimit.WallClock);
        var second = await session.RunAsync(CommandSpec.Shell("echo never"));
        second.ExitCode.ShouldBeNull();
        second.LimitHit.ShouldBe(SandboxLimit.WallClock);
        second.Stdout.ShouldBeEmpty();
    }

    [Fact]
    public async Task ReadyTime_SessionPlusTrue_IsMeasured()
    {
        using var workspace = fixture.NewWorkspace();

        // Warm up the spawner thread and the JIT once, then measure.
        await using (var warm = await NewSessionAsync(workspace))
        {
            await warm.RunAsync(CommandSpec.Exec("true"));
        }

        var times = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            var clock = Stopwatch.StartNew();
            await using var session = await NewSessionAsync(workspace);
            var result = await session.RunAsync(CommandSpec.Exec("true"));
            clock.Stop();
            result.ExitCode.ShouldBe(0);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        output.WriteLine($"sandbox ready (create session + run `true`): median {times[5]:F1} ms, min {times[0]:F1} ms, max {times[^1]:F1} ms over 10 runs");
    }
}
