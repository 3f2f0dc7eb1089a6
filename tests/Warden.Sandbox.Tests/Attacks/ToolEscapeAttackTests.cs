using Warden.Sandbox.Tests.Support;
using Warden.Sandbox.Tools;

namespace Warden.Sandbox.Tests.Attacks;

/// <summary>
/// The worker runs the file tools outside the sandbox, with its own rights: an agent tries to make them read or
/// write outside the workspace with links it planted from inside, with '..', absolute paths and .git.
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class ToolEscapeAttackTests(SandboxFixture fixture) : IDisposable
{
    private readonly string _outside = Path.Combine(fixture.Root, "outside-" + Guid.NewGuid().ToString("N"));

    private static async Task<WorkspaceToolException> RefusedAsync(Func<Task> action, WorkspaceToolError error)
    {
        var e = await Should.ThrowAsync<WorkspaceToolException>(action);
        e.Error.ShouldBe(error, e.Message);
        return e;
    }

    [Fact]
    public async Task LinksPlantedInsideTheSandbox_DoNotLeadTheToolsOut()
    {
        Directory.CreateDirectory(_outside);
        await File.WriteAllTextAsync(Path.Combine(_outside, "secret"), "host-secret");
        using var workspace = fixture.NewWorkspace();
        await using var session = await fixture.Runtime.CreateSessionAsync(new SandboxSessionOptions { SessionId = "tools", WorkspaceDirectory = workspace.Path });

        // Inside the sandbox these links point at sandbox paths; the tools run on the host, where they would not.
        var planted = await session.RunAsync(CommandSpec.Shell(
            $"ln -s /etc/passwd passwd; ln -s / root; ln -s {_outside} out; ln -s {_outside}/secret secret; " +
            "ln -s .git/hooks hooks; ln -s .git gitdir; ln -s README.md readme-link; mkdir -p d && ln -s ../../.. d/up; echo ok"));
        planted.Stdout.ShouldBe("ok\n");
        var tools = WorkspaceTools.ForSession(session);

        await RefusedAsync(() => tools.ReadFileAsync("passwd"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.ReadFileAsync("root/etc/shadow"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.ReadFileAsync("out/secret"), WorkspaceToolError.PathOutsideWorkspace);
        var e = await RefusedAsync(() => tools.ReadFileAsync("secret"), WorkspaceToolError.PathOutsideWorkspace);
        e.Message.ShouldNotContain(_outside);
        await RefusedAsync(() => tools.ReadFileAsync("d/up/etc/passwd"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.WriteFileAsync("out/new", "x"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.WriteFileAsync("secret", "x"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.WriteFileAsync("readme-link", "x"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.WriteFileAsync("hooks/pre-commit", "#!/bin/sh\ntouch /tmp/pwned\n"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.WriteFileAsync("gitdir/config", "[core]\nfsmonitor = evil\n"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.EditFileAsync("secret", [new FileEdit("host", "x")]), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.SearchAsync("host-secret", path: "out"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => Task.FromResult(tools.List("root")), WorkspaceToolError.PathOutsideWorkspace);

        // Listing, glob and search see the links but never follow them.
        tools.List().Entries.ShouldContain(en => en.Path == "out" && en.Kind == WorkspaceEntryKind.Symlink);
        tools.Glob("**/*").Paths.ShouldNotContain(p => p.StartsWith("out/", StringComparison.Ordinal) || p.StartsWith("root/", StringComparison.Ordinal));
        (await tools.SearchAsync("host-secret")).Matches.ShouldBeEmpty();
        (await tools.SearchAsync("root:")).Matches.ShouldBeEmpty();

        (await File.ReadAllTextAsync(Path.Combine(_outside, "secret"))).ShouldBe("host-secret");
        File.Exists(Path.Combine(_outside, "new")).ShouldBeFalse();
        File.Exists(workspace.PathOf(".git/hooks/pre-commit")).ShouldBeFalse();
    }

    [Fact]
    public async Task DotDotAbsolutePathsAndGit_AreRefused()
    {
        using var workspace = fixture.NewWorkspace();
        var tools = new WorkspaceTools(workspace.Path);
        await RefusedAsync(() => tools.ReadFileAsync("../../etc/passwd"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.ReadFileAsync("a/../../x"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.ReadFileAsync("/etc/passwd"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.WriteFileAsync("/tmp/x", "x"), WorkspaceToolError.PathOutsideWorkspace);
        await RefusedAsync(() => tools.WriteFileAsync(".git/hooks/post-checkout", "x"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.WriteFileAsync(".GIT/config", "x"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.ApplyPatchAsync("--- /dev/null\n+++ b/.git/hooks/pre-push\n@@ -0,0 +1 @@\n+evil\n"), WorkspaceToolError.WriteRefused);
        await RefusedAsync(() => tools.ApplyPatchAsync("--- /dev/null\n+++ b/../escape\n@@ -0,0 +1 @@\n+evil\n"), WorkspaceToolError.PathOutsideWorkspace);

        // The sandbox's view of the workspace (/workspace/...) and paths that stay inside are fine.
        (await tools.ReadFileAsync("/workspace/README.md")).Content.ShouldBe("hello\n");
        (await tools.ReadFileAsync("sub/../README.md")).Content.ShouldBe("hello\n");
        (await tools.ReadFileAsync(workspace.PathOf("README.md"))).Content.ShouldBe("hello\n");
    }

    [Fact]
    public void AFileSwappedForALinkAfterTheCheck_IsCaughtWhenOpened()
    {
        using var workspace = fixture.NewWorkspace();
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "secret"), "host-secret");
        var paths = new WorkspacePaths(workspace.Path);
        var resolved = paths.ResolveForRead("README.md");

        // The agent swaps README.md for a link between the tool's check and its open.
        File.Delete(workspace.PathOf("README.md"));
        File.CreateSymbolicLink(workspace.PathOf("README.md"), Path.Combine(_outside, "secret"));
        var handle = File.OpenHandle(resolved.FullPath);
        var e = Should.Throw<WorkspaceToolException>(() => paths.VerifyOpened(handle, resolved));
        e.Error.ShouldBe(WorkspaceToolError.PathOutsideWorkspace);
        handle.IsClosed.ShouldBeTrue();
    }

    public void Dispose()
    {
        if (Directory.Exists(_outside))
        {
            Directory.Delete(_outside, recursive: true);
        }
    }
}
