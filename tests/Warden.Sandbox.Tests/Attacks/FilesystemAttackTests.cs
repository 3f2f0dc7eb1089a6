using Warden.Sandbox.Tests.Support;

namespace Warden.Sandbox.Tests.Attacks;

/// <summary>An agent inside the sandbox tries to read or change what it must not.</summary>
[Collection(SandboxCollection.Name)]
public sealed class FilesystemAttackTests(SandboxFixture fixture) : IDisposable
{
    private readonly string _secret = "wdn_attack_" + Guid.NewGuid().ToString("N");
    private readonly List<string> _planted = [];

    private async Task<(SandboxSession Session, TestWorkspace Workspace)> NewAsync()
    {
        var workspace = fixture.NewWorkspace();
        var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "attack", WorkspaceDirectory = workspace.Path });
        return (session, workspace);
    }

    private string Plant(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, _secret);
        _planted.Add(path);
        return path;
    }

    [Fact]
    public async Task CannotReadPlantedHostSecrets()
    {
        var inRoot = Plant("/root/.warden-attack-" + Guid.NewGuid().ToString("N"));
        var inWorkerData = Plant(Path.Combine(fixture.Root, "worker-data", "token"));
        var (session, workspace) = await NewAsync();
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"cat {inRoot}; cat {inWorkerData}; cat {fixture.Runtime.StateDirectory}/*/* 2>&1; ls / /root /home /var /run /work {fixture.Root} 2>&1; " +
                "cat /etc/shadow /etc/ssl/private/* 2>&1; grep -r wdn_attack_ /etc /home /tmp /run /workspace 2>/dev/null | head -5; echo done"));
            result.Stdout.ShouldEndWith("done\n");
            (result.Stdout + result.Stderr).ShouldNotContain(_secret);
            result.Stdout.ShouldNotContain("lost+found");
            result.Stdout.ShouldContain("No such file or directory");
        }
    }

    [Fact]
    public async Task CannotReadTheWorkersEnvironmentOrProcesses()
    {
        Environment.SetEnvironmentVariable("WARDEN_ATTACK_TOKEN", _secret);
        try
        {
            var (session, workspace) = await NewAsync();
            await using (session)
            using (workspace)
            {
                var hostPid = Environment.ProcessId;
                var result = await session.RunAsync(CommandSpec.Shell(
                    $"env; cat /proc/{hostPid}/environ /proc/*/environ 2>&1; cat /proc/{hostPid}/cmdline 2>&1; ps -eo pid,comm; ls /proc/$$/fd > /tmp/fds; echo fds: $(cat /tmp/fds)"));
                (result.Stdout + result.Stderr).ShouldNotContain(_secret);
                result.Stdout.ShouldNotContain("dotnet");
                result.Stdout.ShouldNotContain("testhost");

                // Only the sandbox's own processes: bwrap's init, the shell, ps, and nothing of the host.
                var processes = result.Stdout.Split('\n').Count(l => l.TrimStart().Length > 0 && char.IsAsciiDigit(l.TrimStart()[0]) && l.Contains(' ', StringComparison.Ordinal) && !l.TrimStart().All(char.IsAsciiDigit));
                processes.ShouldBeLessThanOrEqualTo(4);

                // No descriptor of the worker (or of whatever started it) leaks in: the shell holds only 0, 1 and 2.
                result.Stdout.ShouldContain("fds: 0 1 2\n");
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("WARDEN_ATTACK_TOKEN", null);
        }
    }

    [Fact]
    public async Task CannotWriteOutsideTheWorkspace_NorChangeHostKernelSettings()
    {
        var swappiness = File.ReadAllText("/proc/sys/vm/swappiness");
        var target = Path.Combine(fixture.Root, "outside-" + Guid.NewGuid().ToString("N"));
        var (session, workspace) = await NewAsync();
        await using (session)
        using (workspace)
        {
            var result = await session.RunAsync(CommandSpec.Shell(
                $"touch {target} /usr/x /etc/x /x /run/x 2>&1; echo 1 > /proc/sys/vm/swappiness; echo 1 > /proc/sysrq-trigger; " +
                "mount -t tmpfs none /mnt 2>&1; unshare -U true 2>&1; echo ok > /workspace/inside && echo wrote-inside"));
            result.Stdout.ShouldContain("wrote-inside");
            File.Exists(target).ShouldBeFalse();
            File.Exists("/usr/x").ShouldBeFalse();
            File.Exists("/etc/x").ShouldBeFalse();
            File.Exists("/x").ShouldBeFalse();
            File.ReadAllText("/proc/sys/vm/swappiness").ShouldBe(swappiness);
            File.ReadAllText(workspace.PathOf("inside")).ShouldBe("ok\n");
        }
    }

    [Fact]
    public async Task CannotPlantGitHooksOrConfigForTheWorkersGit()
    {
        var (session, workspace) = await NewAsync();
        await using (session)
        using (workspace)
        {
            var config = File.ReadAllText(workspace.PathOf(".git/config"));
            var result = await session.RunAsync(CommandSpec.Shell(
                "printf '#!/bin/sh\\ntouch /workspace/pwned\\n' > .git/hooks/pre-commit; chmod +x .git/hooks/pre-commit; " +
                "git config core.fsmonitor 'touch /workspace/pwned'; git config core.hooksPath /workspace/hooks; " +
                "echo '[core] sshCommand = evil' >> .git/config; rm -rf .git; mv .git gone; ln -sf /tmp .git/x; " +
                "git init -q . ; echo status=$?; git status --short"));
            result.Stdout.ShouldContain("status=");
            File.Exists(workspace.PathOf(".git/hooks/pre-commit")).ShouldBeFalse();
            File.ReadAllText(workspace.PathOf(".git/config")).ShouldBe(config);
            Directory.Exists(workspace.PathOf("gone")).ShouldBeFalse();

            // The worker's own git, run on the host after the agent's command, runs nothing the agent planted.
            File.WriteAllText(workspace.PathOf("change.txt"), "x");
            workspace.Git("add", "-A");
            workspace.Git("-c", "user.name=w", "-c", "user.email=w@example.invalid", "commit", "-q", "-m", "worker commit");
            File.Exists(workspace.PathOf("pwned")).ShouldBeFalse();
        }
    }

    [Fact]
    public async Task WorkspaceWithoutGit_GetsAReadOnlyPlaceholder_RemovedOnDispose()
    {
        using var workspace = fixture.NewWorkspace();
        Directory.Delete(workspace.PathOf(".git"), recursive: true);
        var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "nogit", WorkspaceDirectory = workspace.Path });
        var result = await session.RunAsync(CommandSpec.Shell("git init -q . 2>&1; mkdir .git/hooks 2>&1; echo x"));
        result.Stdout.ShouldEndWith("x\n");
        Directory.EnumerateFileSystemEntries(workspace.PathOf(".git")).ShouldBeEmpty();
        await session.DisposeAsync();
        Directory.Exists(workspace.PathOf(".git")).ShouldBeFalse();
    }

    public void Dispose()
    {
        foreach (var path in _planted)
        {
            File.Delete(path);
        }
    }
}
