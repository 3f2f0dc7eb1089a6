using System.Diagnostics;
using Warden.Sandbox.Tests.Support;

namespace Warden.Sandbox.Tests.Attacks;

/// <summary>An agent tries to exhaust the host or to leave processes behind.</summary>
[Collection(SandboxCollection.Name)]
public sealed class ResourceAttackTests(SandboxFixture fixture)
{
    private async Task<(SandboxSession Session, TestWorkspace Workspace)> NewAsync(SandboxLimits limits)
    {
        var workspace = fixture.NewWorkspace();
        var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "res", WorkspaceDirectory = workspace.Path, Limits = limits });
        return (session, workspace);
    }

    private static void HostStillForks()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        process.ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task ForkLoop_IsStoppedByThePidsLimit_AndReported()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default with { MaxProcesses = 40 });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell("exec sh -c 'i=0; while [ $i -lt 100 ]; do sleep 600 & i=$((i+1)); done; echo survived'"));
            result.LimitHit.HasFlag(SandboxLimit.Processes).ShouldBeTrue();
            result.Stderr.ShouldContain("fork", Case.Insensitive);
            Cgroups.Processes(session).ShouldBeEmpty();
            HostStillForks();
        }
    }

    [Fact]
    public async Task ForkBomb_IsContained_AndKilledAtTheTimeout()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default with { MaxProcesses = 64 });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(new CommandSpec { Command = "bomb() { bomb | bomb & }; bomb; sleep 600", Timeout = TimeSpan.FromSeconds(3) });
            result.TimedOut.ShouldBeTrue();
            result.LimitHit.HasFlag(SandboxLimit.Processes).ShouldBeTrue();
            result.LimitHit.HasFlag(SandboxLimit.WallClock).ShouldBeTrue();
            Cgroups.Processes(session).ShouldBeEmpty();
            HostStillForks();
        }
    }

    [Fact]
    public async Task MemoryHog_IsKilled_AndReported()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default with { MemoryBytes = 64L * 1024 * 1024 });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell("dd if=/dev/zero of=/dev/null bs=512M count=1; echo dd=$?"));
            result.Stdout.ShouldContain("dd=137");
            result.LimitHit.HasFlag(SandboxLimit.Memory).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task DiskFill_StopsAtTheFileSizeLimit()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default with { FileSizeBytes = 1024 * 1024 });
        await using (session)
        using (workspace)
        {
            var killed = await session.RunAsync(CommandSpec.Shell("head -c 50000000 /dev/zero > /workspace/big"));
            killed.Signal.ShouldBe(25);
            killed.LimitHit.HasFlag(SandboxLimit.FileSize).ShouldBeTrue();
            new FileInfo(workspace.PathOf("big")).Length.ShouldBe(1024 * 1024);

            // A program that ignores SIGXFSZ gets EFBIG instead.
            var ignored = await session.RunAsync(CommandSpec.Shell("trap '' XFSZ; head -c 50000000 /dev/zero > /tmp/big2; echo rc=$?"));
            ignored.Stderr.ShouldContain("File too large");
            ignored.Stdout.ShouldContain("rc=1");
        }
    }

    [Fact]
    public async Task CpuSpin_IsStoppedByTheCpuTimeLimit()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default with { CpuTime = TimeSpan.FromSeconds(1) });
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(new CommandSpec { Command = "while :; do :; done", Timeout = TimeSpan.FromSeconds(30) });
            result.TimedOut.ShouldBeFalse();
            result.Signal.ShouldBe(24);
            result.LimitHit.ShouldBe(SandboxLimit.CpuTime);
        }
    }

    [Fact]
    public async Task WallClockTimeout_KillsTheWholeTree()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default);
        await using (session)
        using (workspace)
        {
            var seen = new List<int>();
            var result = await session.RunAsync(
                new CommandSpec { Command = "sleep 1000 & (setsid sleep 1001 &); echo started; sleep 1002", Timeout = TimeSpan.FromSeconds(2) },
                async chunk =>
                {
                    if (chunk.Text.Contains("started", StringComparison.Ordinal))
                    {
                        var until = DateTime.UtcNow.AddSeconds(10);
                        while (DateTime.UtcNow < until && Cgroups.Processes(session).Count(p => Cgroups.CommandLine(p).StartsWith("sleep 100", StringComparison.Ordinal)) < 3)
                        {
                            await Task.Delay(5);
                        }

                        seen.AddRange(Cgroups.Processes(session).Where(p => Cgroups.CommandLine(p).StartsWith("sleep 100", StringComparison.Ordinal)));
                    }
                });
            result.TimedOut.ShouldBeTrue();
            result.LimitHit.ShouldBe(SandboxLimit.WallClock);
            seen.Count.ShouldBe(3);
            seen.ShouldAllBe(p => !Cgroups.IsAlive(p));
            Cgroups.Processes(session).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task BackgroundAndDaemonisedProcesses_DoNotOutliveTheSession()
    {
        var (session, workspace) = await NewAsync(SandboxLimits.Default);
        using (workspace)
        {
            var fifo = workspace.PathOf("gate.fifo");
            using (var mkfifo = Process.Start("mkfifo", fifo))
            {
                await mkfifo.WaitForExitAsync();
            }

            var seen = new List<int>();
            var folders = session.CgroupFolders.ToList();
            var result = await session.RunAsync(
                CommandSpec.Shell(
                    "sleep 1000 & " +
                    "setsid sh -c 'sleep 1001 & exec sleep 1002' </dev/null >/dev/null 2>&1 & " +
                    "(sh -c 'sleep 1003 &' &) ; " +
                    "nohup sleep 1004 >/dev/null 2>&1 & " +
                    "echo started; read x < /workspace/gate.fifo; echo released"),
                async chunk =>
                {
                    if (chunk.Text.Contains("started", StringComparison.Ordinal))
                    {
                        // Wait (with a deadline) until all four daemons are up, note their host pids, then let the command end.
                        var until = DateTime.UtcNow.AddSeconds(10);
                        while (DateTime.UtcNow < until && Cgroups.Processes(session).Count(p => Cgroups.CommandLine(p).StartsWith("sleep 100", StringComparison.Ordinal)) < 5)
                        {
                            await Task.Delay(10);
                        }

                        seen.AddRange(Cgroups.Processes(session).Where(p => Cgroups.CommandLine(p).StartsWith("sleep 100", StringComparison.Ordinal)));
                        await File.WriteAllTextAsync(fifo, "go\n");
                    }
                });
            result.Stdout.ShouldContain("released");
            seen.Count.ShouldBe(5);

            // Gone as soon as the command returns: its PID namespace died with it.
            seen.ShouldAllBe(p => !Cgroups.IsAlive(p));
            await session.DisposeAsync();
            seen.ShouldAllBe(p => !Cgroups.IsAlive(p));
            folders.ShouldAllBe(f => !Directory.Exists(f));
        }
    }
}
