using Warden.Protocol;
using Warden.Worker.Workspaces;

namespace Warden.Worker.Tests;

/// <summary>Workspace preparation with the real git CLI: base refs, the mirror cache, and where the credential may (not) go.</summary>
public sealed class WorkspaceTests : IDisposable
{
    private readonly GitFixture _git = new();
    private readonly string _data;

    public WorkspaceTests() => _data = Path.Combine(_git.Root, "worker");

    public void Dispose() => _git.Dispose();

    [Fact]
    public async Task Prepare_ClonesTheBaseRefOntoASessionBranch_WithOriginPointingAtTheRealRemote()
    {
        var preparer = new WorkspacePreparer(_data);

        var main = await preparer.PrepareAsync("s1", _git.Url, null, null, CancellationToken.None);
        var feature = await preparer.PrepareAsync("s2", _git.Url, "feature", null, CancellationToken.None);
        var missing = await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("s3", _git.Url, "no-such-branch", null, CancellationToken.None));

        File.ReadAllText(Path.Combine(main.Path, "README.md")).ShouldBe("hello\n");
        File.Exists(Path.Combine(main.Path, "feature.txt")).ShouldBeFalse();
        File.Exists(Path.Combine(feature.Path, "feature.txt")).ShouldBeTrue();
        GitFixture.Git(main.Path, "rev-parse", "--abbrev-ref", "HEAD").Trim().ShouldBe("warden/s1");
        GitFixture.Git(main.Path, "remote", "get-url", "origin").Trim().ShouldBe(_git.Url);
        main.Commit.ShouldBe(GitFixture.Git(_git.Bare, "rev-parse", "main").Trim());
        missing.Message.ShouldContain("no-such-branch");
        Directory.Exists(preparer.WorkspacePath("s3")).ShouldBeFalse("a failed preparation leaves nothing behind");
    }

    [Fact]
    public async Task SecondClone_ComesFromTheMirrorCache_AndSeesNewCommits()
    {
        var preparer = new WorkspacePreparer(_data);

        var first = await preparer.PrepareAsync("a", _git.Url, null, null, CancellationToken.None);
        var mirror = preparer.MirrorPath(_git.Url);
        var marker = Path.Combine(mirror, "test-marker");
        await File.WriteAllTextAsync(marker, "kept");
        var newCommit = _git.PushCommit("later.txt", "later\n");
        var second = await preparer.PrepareAsync("b", _git.Url, null, null, CancellationToken.None);

        first.FromMirror.ShouldBeFalse();
        second.FromMirror.ShouldBeTrue();
        File.Exists(marker).ShouldBeTrue("the mirror was updated in place, not cloned again");
        second.Commit.ShouldBe(newCommit);
        File.Exists(Path.Combine(second.Path, "later.txt")).ShouldBeTrue();
        // The workspace is self-contained: no alternates into the mirror that a session could reach through.
        File.Exists(Path.Combine(second.Path, ".git", "objects", "info", "alternates")).ShouldBeFalse();
        preparer.Release("a");
        Directory.Exists(first.Path).ShouldBeFalse();
    }

    [Fact]
    public async Task Mirror_HasGitsAutomaticMaintenanceOff_SoNoBackgroundJobChangesItWhileWorkspacesAreCopied()
    {
        var preparer = new WorkspacePreparer(_data);

        await preparer.PrepareAsync("m1", _git.Url, null, null, CancellationToken.None);
        var mirror = preparer.MirrorPath(_git.Url);
        _git.PushCommit("more.txt", "more\n");
        var again = await Task.WhenAll(Enumerable.Range(2, 4).Select(i => preparer.PrepareAsync($"m{i}", _git.Url, null, null, CancellationToken.None)));

        GitFixture.Git(mirror, "config", "--get", "maintenance.auto").Trim().ShouldBe("false");
        GitFixture.Git(mirror, "config", "--get", "gc.auto").Trim().ShouldBe("0");
        again.ShouldAllBe(w => w.FromMirror && File.Exists(Path.Combine(w.Path, "more.txt")));
    }

    [Fact]
    public async Task UrlsWithCredentials_AndUnsafeNames_AreRefused()
    {
        var preparer = new WorkspacePreparer(_data);

        (await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("s", "https://user:pw@git.example/r.git", null, null, CancellationToken.None)))
            .Message.ShouldNotContain("pw@");
        await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("../escape", _git.Url, null, null, CancellationToken.None));
        await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("s", _git.Url, "--upload-pack=evil", null, CancellationToken.None));
        (await preparer.PrepareAsync("empty", null, null, null, CancellationToken.None)).Commit.ShouldBeNull();
    }

    [Theory]
    [InlineData(CredentialKinds.Basic)]
    [InlineData(CredentialKinds.Bearer)]
    public async Task SessionCredential_AuthenticatesTheClone_ButLandsNowhereInTheWorkspace_MirrorOrCommandLine(string kind)
    {
        var secret = "sess-" + Guid.NewGuid().ToString("N");
        var expected = kind == CredentialKinds.Basic
            ? "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + secret))
            : "Bearer " + secret;
        await using var server = await GitHttpServer.StartAsync(Path.GetDirectoryName(_git.Bare)!, expected);
        var url = new Uri(server.BaseAddress, "app.git").ToString();
        // A wrapper records every git command line the worker runs.
        var argvLog = Path.Combine(_git.Root, "argv.log");
        var wrapper = Path.Combine(_git.Root, "git-wrapper.sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{argvLog}'\nexec git \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var preparer = new WorkspacePreparer(_data, wrapper);
        var credential = new SessionCredential { Kind = kind, Secret = secret };

        var refused = await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("nocred", url, null, null, CancellationToken.None));
        var first = await preparer.PrepareAsync("s1", url, null, credential, CancellationToken.None);
        _git.PushCommit("more.txt", "more\n");
        var second = await preparer.PrepareAsync("s2", url, null, credential, CancellationToken.None);

        refused.Message.ShouldContain("Cloning the repository failed");
        server.Authorized.ShouldBeGreaterThan(0);
        second.FromMirror.ShouldBeTrue();
        File.Exists(Path.Combine(second.Path, "more.txt")).ShouldBeTrue();
        GitFixture.FilesContaining(first.Path, secret).ShouldBeEmpty();
        GitFixture.FilesContaining(second.Path, secret).ShouldBeEmpty();
        GitFixture.FilesContaining(_data, secret).ShouldBeEmpty("not in the mirror cache, the askpass helper or anywhere in the worker's data");
        (await File.ReadAllTextAsync(argvLog)).ShouldNotContain(secret);
        (await File.ReadAllTextAsync(argvLog)).ShouldContain("clone");
        GitFixture.Git(second.Path, "config", "--list", "--show-origin").ShouldNotContain(secret);
    }
}
