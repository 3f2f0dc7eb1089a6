using Warden.Protocol;
using Warden.Worker.Workspaces;

namespace Warden.Worker.Tests;

/// <summary>
/// Spare workspaces with the real git CLI: a claimed spare is indistinguishable from a fresh clone, is used once, sees
/// what was pushed after it was built, goes to one of two concurrent sessions, holds no credential, and a broken one
/// falls back to the normal path. Disk use stays bounded (one spare per repository, a cap on repositories, none left
/// after disposal or once the mirror is removed).
/// </summary>
public sealed class SpareWorkspaceTests : IDisposable
{
    private readonly GitFixture _git = new();
    private readonly string _data;

    public SpareWorkspaceTests() => _data = Path.Combine(_git.Root, "worker");

    public void Dispose() => _git.Dispose();

    private WorkspacePreparer Preparer(int spares = 2) => new(_data, spareRepositories: spares);

    /// <summary>A workspace as a reader would compare it: HEAD, refs, local configuration, tracked files and status.</summary>
    private static string Describe(string workspace) => string.Join("\n---\n",
        GitFixture.Git(workspace, "symbolic-ref", "HEAD").Trim(),
        GitFixture.Git(workspace, "rev-parse", "HEAD").Trim(),
        GitFixture.Git(workspace, "for-each-ref", "--format=%(refname) %(objectname) %(symref) %(upstream)"),
        string.Join("\n", GitFixture.Git(workspace, "config", "--local", "--list").Split('\n').Order(StringComparer.Ordinal)),
        GitFixture.Git(workspace, "ls-files", "-s"),
        GitFixture.Git(workspace, "status", "--porcelain=v1", "--untracked-files=all", "--ignored"),
        string.Join("\n", Directory.EnumerateFileSystemEntries(workspace, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(workspace, p)).Where(p => !p.StartsWith(".git" + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Order(StringComparer.Ordinal)));

    private async Task<PreparedWorkspace> FreshAsync(string sessionId, string? baseRef = null)
    {
        await using var plain = new WorkspacePreparer(Path.Combine(_git.Root, "plain-" + Guid.NewGuid().ToString("N")[..6]));
        return await plain.PrepareAsync(sessionId, _git.Url, baseRef, null, CancellationToken.None);
    }

    [Fact]
    public async Task ClaimedSpare_MatchesAFreshClone_BranchCommitRefsConfigAndCleanStatus()
    {
        await using var preparer = Preparer();
        var first = await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var spare = preparer.ReadySpares().ShouldHaveSingleItem();
        // The spare's index was rewritten after the second its files were written in, so none of them is racily clean.
        var index = File.GetLastWriteTimeUtc(Path.Combine(spare, ".git", "index"));
        File.GetLastWriteTimeUtc(Path.Combine(spare, "README.md")).ShouldBeLessThan(index.AddTicks(-(index.Ticks % TimeSpan.TicksPerSecond)));

        var claimed = await preparer.PrepareAsync("s2", _git.Url, null, null, CancellationToken.None);
        var fresh = await FreshAsync("s2");

        first.FromSpare.ShouldBeFalse();
        claimed.FromSpare.ShouldBeTrue();
        claimed.FromMirror.ShouldBeTrue();
        claimed.Path.ShouldBe(preparer.WorkspacePath("s2"));
        claimed.Commit.ShouldBe(fresh.Commit);
        Directory.Exists(spare).ShouldBeFalse("the spare was moved into place");
        GitFixture.Git(claimed.Path, "rev-parse", "--abbrev-ref", "HEAD").Trim().ShouldBe("warden/s2");
        GitFixture.Git(claimed.Path, "status", "--porcelain").ShouldBeEmpty();
        Describe(claimed.Path).ShouldBe(Describe(fresh.Path));
        File.Exists(Path.Combine(claimed.Path, ".git", "FETCH_HEAD")).ShouldBeFalse();
        File.Exists(Path.Combine(claimed.Path, ".git", "objects", "info", "alternates")).ShouldBeFalse();
    }

    [Fact]
    public async Task ClaimedSpare_ChecksOutAnotherBaseRef_AndRefusesAMissingOneAsTheNormalPathDoes()
    {
        await using var preparer = Preparer();
        await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();

        var feature = await preparer.PrepareAsync("f", _git.Url, "feature", null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var missing = await Should.ThrowAsync<WorkspaceException>(preparer.PrepareAsync("m", _git.Url, "no-such-branch", null, CancellationToken.None));

        feature.FromSpare.ShouldBeTrue();
        Describe(feature.Path).ShouldBe(Describe((await FreshAsync("f", "feature")).Path));
        File.Exists(Path.Combine(feature.Path, "feature.txt")).ShouldBeTrue();
        missing.Message.ShouldContain("no-such-branch");
        Directory.Exists(preparer.WorkspacePath("m")).ShouldBeFalse("a failed claim leaves nothing behind");
    }

    [Fact]
    public async Task Spare_IsUsedOnce_AndAReleasedWorkspaceIsNeverRecycled()
    {
        await using var preparer = Preparer();
        await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var spare1 = preparer.ReadySpares().ShouldHaveSingleItem();

        var a = await preparer.PrepareAsync("a", _git.Url, null, null, CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(a.Path, "leftover.txt"), "from session a\n");
        await File.WriteAllTextAsync(Path.Combine(a.Path, "README.md"), "changed by a\n");
        preparer.Release("a");
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var spare2 = preparer.ReadySpares().ShouldHaveSingleItem();
        var b = await preparer.PrepareAsync("b", _git.Url, null, null, CancellationToken.None);

        a.FromSpare.ShouldBeTrue();
        b.FromSpare.ShouldBeTrue();
        spare2.ShouldNotBe(spare1, "a new spare is built from the mirror, not the old one reused");
        File.Exists(Path.Combine(b.Path, "leftover.txt")).ShouldBeFalse();
        (await File.ReadAllTextAsync(Path.Combine(b.Path, "README.md"))).ShouldBe("hello\n");
        GitFixture.Git(b.Path, "status", "--porcelain", "--untracked-files=all").ShouldBeEmpty();
        Directory.EnumerateDirectories(Path.Combine(_data, "spares")).Count().ShouldBeLessThanOrEqualTo(1, "one spare per repository");
    }

    [Fact]
    public async Task CommitsBranchesAndTagsPushedAfterTheSpareWasBuilt_ShowUpInTheClaimedWorkspace()
    {
        await using var preparer = Preparer();
        await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var later = _git.PushCommit("later.txt", "later\n");
        GitFixture.Git(_git.Source, "tag", "v1");
        GitFixture.Git(_git.Source, "push", "-q", _git.Bare, "v1", "main:topic");
        GitFixture.Git(_git.Bare, "branch", "-D", "feature");

        var claimed = await preparer.PrepareAsync("s", _git.Url, null, null, CancellationToken.None);
        var fresh = await FreshAsync("s");

        claimed.FromSpare.ShouldBeTrue();
        claimed.Commit.ShouldBe(later);
        File.ReadAllText(Path.Combine(claimed.Path, "later.txt")).ShouldBe("later\n");
        GitFixture.Git(claimed.Path, "status", "--porcelain").ShouldBeEmpty();
        GitFixture.Git(claimed.Path, "rev-parse", "refs/heads/main").Trim().ShouldBe(later, "the local default branch is where the remote's is now");
        var refs = GitFixture.Git(claimed.Path, "for-each-ref", "--format=%(refname)");
        refs.ShouldContain("refs/tags/v1");
        refs.ShouldContain("refs/remotes/origin/topic");
        refs.ShouldNotContain("refs/remotes/origin/feature", customMessage: "a branch deleted on the remote is pruned");
        Describe(claimed.Path).ShouldBe(Describe(fresh.Path));
    }

    [Fact]
    public async Task TwoSessionsAtOnce_OneClaimsTheSpare_TheOtherTakesTheNormalPath()
    {
        await using var preparer = Preparer();
        await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();

        var both = await Task.WhenAll(
            Task.Run(() => preparer.PrepareAsync("x", _git.Url, null, null, CancellationToken.None)),
            Task.Run(() => preparer.PrepareAsync("y", _git.Url, null, null, CancellationToken.None)));

        both.Count(w => w.FromSpare).ShouldBe(1);
        both.Select(w => w.Path).Distinct().Count().ShouldBe(2);
        foreach (var w in both)
        {
            w.Commit.ShouldBe(GitFixture.Git(_git.Bare, "rev-parse", "main").Trim());
            GitFixture.Git(w.Path, "status", "--porcelain").ShouldBeEmpty();
            File.Exists(Path.Combine(w.Path, "README.md")).ShouldBeTrue();
        }
    }

    [Fact]
    public async Task BrokenSpare_FallsBackToTheNormalPath()
    {
        await using var preparer = Preparer();
        await preparer.PrepareAsync("first", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        Directory.Delete(Path.Combine(preparer.ReadySpares().ShouldHaveSingleItem(), ".git"), recursive: true);

        var workspace = await preparer.PrepareAsync("s", _git.Url, null, null, CancellationToken.None);

        workspace.FromSpare.ShouldBeFalse();
        workspace.FromMirror.ShouldBeTrue();
        GitFixture.Git(workspace.Path, "rev-parse", "--abbrev-ref", "HEAD").Trim().ShouldBe("warden/s");
        GitFixture.Git(workspace.Path, "status", "--porcelain").ShouldBeEmpty();
        Describe(workspace.Path).ShouldBe(Describe((await FreshAsync("s")).Path));
    }

    [Theory]
    [InlineData(CredentialKinds.Basic)]
    [InlineData(CredentialKinds.Bearer)]
    public async Task Spare_AndTheWorkspaceClaimedFromIt_HoldNoCredential_AndPointAtTheCredentialFreeUrl(string kind)
    {
        var secret = "sess-" + Guid.NewGuid().ToString("N");
        var expected = kind == CredentialKinds.Basic
            ? "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + secret))
            : "Bearer " + secret;
        await using var server = await GitHttpServer.StartAsync(Path.GetDirectoryName(_git.Bare)!, expected);
        var url = new Uri(server.BaseAddress, "app.git").ToString();
        var credential = new SessionCredential { Kind = kind, Secret = secret };
        await using var preparer = Preparer();

        await preparer.PrepareAsync("first", url, null, credential, CancellationToken.None);
        (await preparer.PrepareSpareAsync(url)).ShouldBeTrue();
        var spare = preparer.ReadySpares().ShouldHaveSingleItem();
        var spareConfig = await File.ReadAllTextAsync(Path.Combine(spare, ".git", "config"));
        var spareOrigin = GitFixture.Git(spare, "remote", "get-url", "origin").Trim();
        GitFixture.FilesContaining(spare, secret).ShouldBeEmpty();
        var later = _git.PushCommit("more.txt", "more\n");
        var claimed = await preparer.PrepareAsync("s", url, null, credential, CancellationToken.None);

        spareConfig.ShouldNotContain(secret);
        spareConfig.ShouldNotContain("extraHeader", Case.Insensitive);
        spareOrigin.ShouldBe(url);
        claimed.FromSpare.ShouldBeTrue();
        claimed.Commit.ShouldBe(later, "the mirror was fetched with the credential, then the claim fetched from the mirror");
        GitFixture.Git(claimed.Path, "remote", "get-url", "origin").Trim().ShouldBe(url);
        GitFixture.Git(claimed.Path, "config", "--list", "--show-origin").ShouldNotContain(secret);
        GitFixture.FilesContaining(_data, secret).ShouldBeEmpty("not in the workspace, the spare, the mirror or anywhere in the worker's data");
    }

    [Fact]
    public async Task SparesAreBounded_OnePerRepository_CappedRepositories_RemovedWithTheMirrorAndOnDisposal()
    {
        using var other = new GitFixture();
        var preparer = Preparer(spares: 1);
        await preparer.PrepareAsync("a", _git.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        var first = preparer.ReadySpares().ShouldHaveSingleItem("asking again does not build a second spare");

        await preparer.PrepareAsync("b", other.Url, null, null, CancellationToken.None);
        (await preparer.PrepareSpareAsync(other.Url)).ShouldBeTrue();
        var second = preparer.ReadySpares().ShouldHaveSingleItem("the cap is one repository: the least recently used spare made room");
        second.ShouldNotBe(first);
        Directory.Exists(first).ShouldBeFalse();

        await preparer.RemoveMirrorAsync(other.Url, CancellationToken.None);
        preparer.ReadySpares().ShouldBeEmpty();
        Directory.Exists(second).ShouldBeFalse();
        Directory.Exists(preparer.MirrorPath(other.Url)).ShouldBeFalse();
        (await preparer.PrepareSpareAsync(other.Url)).ShouldBeFalse("no mirror, no spare");

        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeTrue();
        await preparer.DisposeAsync();
        Directory.Exists(Path.Combine(_data, "spares")).ShouldBeFalse();
        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeFalse();
        var after = await preparer.PrepareAsync("c", _git.Url, null, null, CancellationToken.None);
        after.FromSpare.ShouldBeFalse();
        File.Exists(Path.Combine(after.Path, "README.md")).ShouldBeTrue();
        Directory.Exists(Path.Combine(_data, "spares")).ShouldBeFalse("no spare is built after disposal");
    }

    [Fact]
    public async Task SparesAreOffByDefault_AndMirrorsHaveNoAutomaticMaintenance()
    {
        await using var preparer = new WorkspacePreparer(_data);
        await preparer.PrepareAsync("a", _git.Url, null, null, CancellationToken.None);
        await preparer.PrepareAsync("b", _git.Url, null, null, CancellationToken.None);

        (await preparer.PrepareSpareAsync(_git.Url)).ShouldBeFalse();
        preparer.ReadySpares().ShouldBeEmpty();
        var mirror = preparer.MirrorPath(_git.Url);
        GitFixture.Git(mirror, "config", "--get", "gc.auto").Trim().ShouldBe("0");
        GitFixture.Git(mirror, "config", "--get", "maintenance.auto").Trim().ShouldBe("false");
    }
}
