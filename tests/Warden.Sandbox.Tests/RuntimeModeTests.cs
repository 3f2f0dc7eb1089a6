using Microsoft.Extensions.Logging;
using Warden.Sandbox.Tests.Support;

namespace Warden.Sandbox.Tests;

/// <summary>The insecure mode and the cgroup v2 code path (this machine's v2 hierarchy has no pids/memory controllers).</summary>
[Collection(SandboxCollection.Name)]
public sealed class RuntimeModeTests(SandboxFixture fixture)
{
    [Fact]
    public async Task InsecureMode_RunsWithoutBubblewrap_ScrubsTheEnvironment_AndWarnsOnEverySession()
    {
        var logs = new ListLoggerFactory();
        var runtime = SandboxRuntime.Create(
            new SandboxRuntimeOptions { Mode = SandboxMode.InsecureNoSandbox, BubblewrapPath = "/nonexistent/bwrap", StateDirectory = Path.Combine(fixture.Root, "state-insecure") },
            logs);
        Environment.SetEnvironmentVariable("WARDEN_INSECURE_PROBE", "worker-secret");
        try
        {
            using var workspace = fixture.NewWorkspace();
            for (var i = 0; i < 2; i++)
            {
                await using var session = await runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "insecure" + i, WorkspaceDirectory = workspace.Path });
                session.Mode.ShouldBe(SandboxMode.InsecureNoSandbox);
                var result = await session.RunAsync(CommandSpec.Shell("pwd; env; sleep 1000 & echo bg"));
                result.Stdout.ShouldStartWith(workspace.Path + "\n");
                result.Stdout.ShouldContain("WARDEN_SANDBOX=insecure");
                result.Stdout.ShouldNotContain("worker-secret");

                // The command's cgroup still catches what it left behind.
                Cgroups.Processes(session).ShouldBeEmpty();
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("WARDEN_INSECURE_PROBE", null);
        }

        logs.Messages.Count(m => m.Level == LogLevel.Warning && m.Text.Contains("WITHOUT A SANDBOX", StringComparison.Ordinal)).ShouldBe(2);
    }

    [Fact]
    public async Task CgroupV2_SessionsJoinTheUnifiedHierarchy_AndAreKilledWithCgroupKill()
    {
        var options = new SandboxRuntimeOptions
        {
            CgroupRoot = "/sys/fs/cgroup/unified",
            RequireCgroupLimits = false,
            StateDirectory = Path.Combine(fixture.Root, "state-v2"),
        };
        Directory.Exists("/sys/fs/cgroup/unified").ShouldBeTrue("this test needs the hybrid layout's v2 hierarchy");
        var report = SandboxRuntime.Probe(options);
        report.CgroupVersion.ShouldBe(CgroupVersion.V2);
        report.CgroupKillSupported.ShouldBeTrue();

        // Without pids and memory controllers the strict default refuses to run.
        Should.Throw<SandboxRuntimeException>(() => SandboxRuntime.Create(options with { RequireCgroupLimits = true })).Message.ShouldContain("pids");

        // Insecure mode has no PID namespace, so only the cgroup can catch a daemon the command leaves behind.
        var runtime = SandboxRuntime.Create(options with { Mode = SandboxMode.InsecureNoSandbox });
        using var workspace = fixture.NewWorkspace();
        var session = await runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "v2", WorkspaceDirectory = workspace.Path });
        var folder = session.CgroupFolders.Single();
        folder.ShouldStartWith("/sys/fs/cgroup/unified/");
        var fifo = workspace.PathOf("gate.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo))
        {
            await mkfifo.WaitForExitAsync();
        }

        var seen = new List<int>();
        var result = await session.RunAsync(CommandSpec.Shell("setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo started; read x < gate.fifo"), async chunk =>
        {
            if (chunk.Text.Contains("started", StringComparison.Ordinal))
            {
                var until = DateTime.UtcNow.AddSeconds(10);
                while (DateTime.UtcNow < until && !Cgroups.Processes(session).Any(p => Cgroups.CommandLine(p).StartsWith("sleep 1000", StringComparison.Ordinal)))
                {
                    await Task.Delay(5);
                }

                seen.AddRange(Cgroups.Processes(session).Where(p => Cgroups.CommandLine(p).StartsWith("sleep 1000", StringComparison.Ordinal)));
                await File.WriteAllTextAsync(fifo, "go\n");
            }
        });
        result.ExitCode.ShouldBe(0);
        seen.Count.ShouldBe(1);
        seen.ShouldAllBe(p => !Cgroups.IsAlive(p));
        await session.DisposeAsync();
        Directory.Exists(folder).ShouldBeFalse();
    }
}
