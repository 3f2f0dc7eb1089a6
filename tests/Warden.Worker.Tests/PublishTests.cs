using System.Diagnostics;
using System.Text.Json;
using Warden.Protocol;
using Warden.Worker.Sessions;
using Warden.Worker.Workspaces;

namespace Warden.Worker.Tests;

/// <summary>
/// <c>warden.publish</c> and <c>warden.diff</c> with the real git CLI against real remotes (a bare repository over
/// file:// and an authenticated smart-HTTP server): what is committed, by whom, where it is pushed, where the
/// credential may (not) go, and that nothing the agent can write into the working tree makes the worker's git run it.
/// </summary>
public sealed class PublishTests : IDisposable
{
    private readonly GitFixture _git = new();
    private readonly string _data;
    private readonly WorkspacePreparer _preparer;
    private readonly ListLogger _log = new();
    private readonly WorkerOperationRunner _runner;

    public PublishTests()
    {
        _data = Path.Combine(_git.Root, "worker");
        _preparer = new WorkspacePreparer(_data);
        _runner = new WorkerOperationRunner(new WorkspacePublisher(_preparer.Git, Path.Combine(_data, "scratch"), logger: _log), _log);
    }

    public void Dispose() => _git.Dispose();

    private static readonly Dictionary<string, string> Trailers = new() { ["Warden-Session"] = "s1", ["Requested-by"] = "Ada Lovelace <ada@example.com>" };

    private static PublishRequest Request(string branch = "warden/s1", IReadOnlyDictionary<string, string>? trailers = null) => new()
    {
        Branch = branch,
        Message = "Fix the greeting\n\nThe README said hello; it now says hello, world.\n# not a comment: kept",
        AuthorName = "Warden agent for Ada Lovelace",
        AuthorEmail = "agent+ada@warden.invalid",
        Trailers = trailers ?? Trailers,
        RemoteBase = "main",
    };

    private async Task<WorkerSession> SessionAsync(string id, string? url = null, SessionCredential? credential = null, WorkspacePreparer? preparer = null)
    {
        url ??= _git.Url;
        var workspace = await (preparer ?? _preparer).PrepareAsync(id, url, null, credential, CancellationToken.None);
        return new WorkerSession(id) { Target = new PublishTarget(id, workspace.Path, workspace.Commit, url, credential) };
    }

    private Task<(ToolResult Result, bool Replayed)> RunAsync(WorkerSession session, ToolCall call, WorkerOperationRunner? runner = null) =>
        session.Ledger.RunOnceAsync(call.CallId, () => (runner ?? _runner).ExecuteAsync(session, call, CancellationToken.None));

    private static string Workspace(WorkerSession session) => session.Target!.Workspace;

    private string RemoteBranch(string branch) => GitFixture.Git(_git.Bare, "rev-parse", "--verify", "-q", "refs/heads/" + branch).Trim();

    private bool RemoteHasBranch(string branch) =>
        GitFixture.Git(_git.Bare, "for-each-ref", "--format=%(refname)", "refs/heads/" + branch).Trim().Length > 0;

    [Fact]
    public async Task Publish_CommitsAsTheAuthorWithTrailers_AndPushesTheBranch_OncePerCallId()
    {
        var session = await SessionAsync("s1");
        await File.WriteAllTextAsync(Path.Combine(Workspace(session), "README.md"), "hello, world\n");
        Directory.CreateDirectory(Path.Combine(Workspace(session), "src"));
        await File.WriteAllTextAsync(Path.Combine(Workspace(session), "src", "new.txt"), "one\ntwo\n");
        var call = WorkerOperations.PublishCall("p1", Request());

        var (first, replayed1) = await RunAsync(session, call);
        var (again, replayed2) = await RunAsync(session, call);

        first.Status.ShouldBe(ToolStatus.Ok, first.Error);
        replayed1.ShouldBeFalse();
        replayed2.ShouldBeTrue();
        again.ShouldBeSameAs(first);
        var result = WorkerOperations.ReadPublishResult(first)!;
        result.Committed.ShouldBeTrue();
        result.Pushed.ShouldBeTrue();
        result.Branch.ShouldBe("warden/s1");
        result.RemoteBase.ShouldBe("main");
        result.BaseCommit.ShouldBe(GitFixture.Git(_git.Bare, "rev-parse", "main").Trim());
        (result.FilesChanged, result.Insertions, result.Deletions).ShouldBe((2, 3, 1));
        first.Result!.Value.GetProperty("files_changed").GetInt32().ShouldBe(2, "the result is snake_case JSON");

        // On the remote: exactly one commit on top of main, by the agent, committed by the worker, with the trailers.
        RemoteBranch("warden/s1").ShouldBe(result.Commit);
        GitFixture.Git(_git.Bare, "rev-list", "--count", "main..warden/s1").Trim().ShouldBe("1");
        GitFixture.Git(_git.Bare, "log", "-1", "--format=%an|%ae|%cn|%ce", "warden/s1").Trim()
            .ShouldBe("Warden agent for Ada Lovelace|agent+ada@warden.invalid|Warden worker|worker@warden.invalid");
        var message = GitFixture.Git(_git.Bare, "log", "-1", "--format=%B", "warden/s1");
        message.ShouldStartWith("Fix the greeting\n\nThe README said hello; it now says hello, world.\n# not a comment: kept\n");
        GitFixture.Git(_git.Bare, "log", "-1", "--format=%(trailers:only,unfold)", "warden/s1").Trim()
            .ShouldBe("Warden-Session: s1\nRequested-by: Ada Lovelace <ada@example.com>");
        GitFixture.Git(_git.Bare, "show", "warden/s1:src/new.txt").ShouldBe("one\ntwo\n");
        GitFixture.Git(_git.Bare, "show", "warden/s1:README.md").ShouldBe("hello, world\n");
        _git.Source.ShouldNotBeNull();

        // A later publish with nothing new pushes the same commit again (a retry after a failed push) and commits nothing.
        var (later, _) = await RunAsync(session, WorkerOperations.PublishCall("p2", Request()));
        var laterResult = WorkerOperations.ReadPublishResult(later)!;
        laterResult.Committed.ShouldBeFalse();
        laterResult.Pushed.ShouldBeTrue();
        laterResult.Commit.ShouldBe(result.Commit);
        GitFixture.Git(_git.Bare, "rev-list", "--count", "main..warden/s1").Trim().ShouldBe("1");
    }

    [Fact]
    public async Task Publish_WithNothingToCommit_AnswersCommittedFalse_AndPushesNothing()
    {
        var session = await SessionAsync("s2");

        var (result, _) = await RunAsync(session, WorkerOperations.PublishCall("p", Request("warden/s2")));

        result.Status.ShouldBe(ToolStatus.Ok, result.Error);
        var published = WorkerOperations.ReadPublishResult(result)!;
        published.Committed.ShouldBeFalse();
        published.Pushed.ShouldBeFalse();
        published.Commit.ShouldBeNull();
        result.Result!.Value.GetProperty("committed").GetBoolean().ShouldBeFalse();
        RemoteHasBranch("warden/s2").ShouldBeFalse();
        result.Output!.ShouldContain("Nothing to commit");
    }

    [Theory]
    [InlineData("main")]
    [InlineData("refs/heads/warden/x")]
    [InlineData("warden/")]
    [InlineData("warden/../main")]
    [InlineData("warden/a..b")]
    [InlineData("warden/x.lock")]
    [InlineData("warden//x")]
    [InlineData("warden/x/")]
    [InlineData("warden/.hidden")]
    [InlineData("warden/x y")]
    [InlineData("warden/x@{1}")]
    [InlineData("-warden/x")]
    [InlineData("warden/x\n")]
    public async Task Publish_RefusesABranchOutsideWardenOrThatGitRejects(string branch)
    {
        var session = await SessionAsync("s3");
        await File.WriteAllTextAsync(Path.Combine(Workspace(session), "change.txt"), "x\n");
        var head = GitFixture.Git(Workspace(session), "rev-parse", "HEAD").Trim();

        var (result, _) = await RunAsync(session, WorkerOperations.PublishCall("p", Request(branch)));

        result.Status.ShouldBe(ToolStatus.Error);
        result.Error!.ShouldContain("branch");
        GitFixture.Git(Workspace(session), "rev-parse", "HEAD").Trim().ShouldBe(head, "nothing was committed");
        GitFixture.Git(_git.Bare, "for-each-ref", "--format=%(refname)", "refs/heads/").Trim().Split('\n').Order().ShouldBe(["refs/heads/feature", "refs/heads/main"]);
    }

    [Fact]
    public async Task Publish_RefusesBadArguments_ListingEveryProblem()
    {
        var session = await SessionAsync("s4");
        var bad = Request() with { AuthorEmail = "nobody", Message = " ", Trailers = new Dictionary<string, string> { ["Bad Name"] = "x", ["Ok"] = "two\nlines" } };
        var unknown = new ToolCall("u", WorkerOperations.Publish, JsonSerializer.SerializeToElement(new { branch = "warden/s4", message = "m", author_name = "a", author_email = "a@b", force = true }));
        var missing = new ToolCall("m", WorkerOperations.Publish, JsonSerializer.SerializeToElement(new { branch = "warden/s4" }));
        var other = new ToolCall("o", "warden.rm_rf", JsonSerializer.SerializeToElement(new { }));

        var (refused, _) = await RunAsync(session, WorkerOperations.PublishCall("b", bad));
        var (unknownResult, _) = await RunAsync(session, unknown);
        var (missingResult, _) = await RunAsync(session, missing);
        var (otherResult, _) = await RunAsync(session, other);

        refused.Status.ShouldBe(ToolStatus.Error);
        refused.Error!.ShouldContain("author e-mail");
        refused.Error!.ShouldContain("message");
        refused.Error!.ShouldContain("Bad Name");
        refused.Error!.ShouldContain("'Ok' needs a one-line value");
        unknownResult.Status.ShouldBe(ToolStatus.Error);
        unknownResult.Error!.ShouldContain("force");
        missingResult.Status.ShouldBe(ToolStatus.Error);
        missingResult.Error!.ShouldContain("message");
        otherResult.Status.ShouldBe(ToolStatus.Error);
        otherResult.Error!.ShouldContain("reserved");
        WorkerOperations.IsReserved("Warden.Publish").ShouldBeTrue();
        WorkerOperations.IsReserved("shell").ShouldBeFalse();
    }

    [Fact]
    public async Task Diff_ShowsTheWholeChangeAgainstTheBase_IncludingUntrackedFiles_WithoutTouchingTheIndex()
    {
        var session = await SessionAsync("s5");
        var ws = Workspace(session);
        await File.WriteAllTextAsync(Path.Combine(ws, "README.md"), "hello, diff\n");
        await File.WriteAllTextAsync(Path.Combine(ws, "untracked.txt"), "brand new\n");
        await File.WriteAllBytesAsync(Path.Combine(ws, "blob.bin"), [0, 1, 2, 0, 255]);
        var indexBefore = await File.ReadAllBytesAsync(Path.Combine(ws, ".git", "index"));

        var (result, _) = await RunAsync(session, WorkerOperations.DiffCall("d1"));
        var (small, _) = await RunAsync(session, WorkerOperations.DiffCall("d2", new DiffRequest { MaxBytes = 120 }));
        var (tooBig, _) = await RunAsync(session, WorkerOperations.DiffCall("d3", new DiffRequest { MaxBytes = DiffRequest.MaxBytesLimit + 1 }));

        result.Status.ShouldBe(ToolStatus.Ok, result.Error);
        var diff = WorkerOperations.ReadDiffResult(result)!;
        diff.BaseCommit.ShouldBe(session.Target!.BaseCommit);
        diff.Truncated.ShouldBeFalse();
        diff.Diff.ShouldContain("-hello\n+hello, diff");
        diff.Diff.ShouldContain("+++ b/untracked.txt");
        diff.Diff.ShouldContain("+brand new");
        diff.Diff.ShouldContain("Binary files /dev/null and b/blob.bin differ");
        diff.Stat.ShouldMatch(@"untracked\.txt \| +1 \+");
        diff.Stat.ShouldContain("3 files changed");
        (diff.FilesChanged, diff.Insertions, diff.Deletions).ShouldBe((3, 2, 1));
        var cut = WorkerOperations.ReadDiffResult(small)!;
        cut.Truncated.ShouldBeTrue();
        cut.Diff.Length.ShouldBeLessThanOrEqualTo(120);
        cut.Diff.ShouldEndWith("\n");
        tooBig.Status.ShouldBe(ToolStatus.Error);
        (await File.ReadAllBytesAsync(Path.Combine(ws, ".git", "index"))).ShouldBe(indexBefore, "the diff stages into a temporary index");
        GitFixture.Git(ws, "status", "--porcelain").ShouldContain("?? untracked.txt");
        Directory.EnumerateFiles(Path.Combine(_data, "scratch")).ShouldBeEmpty("the temporary index is removed");

        // After a publish, the diff is still the whole session's change against the base.
        (await RunAsync(session, WorkerOperations.PublishCall("p", Request("warden/s5")))).Result.Status.ShouldBe(ToolStatus.Ok);
        await File.WriteAllTextAsync(Path.Combine(ws, "after.txt"), "later\n");
        var afterPublish = WorkerOperations.ReadDiffResult((await RunAsync(session, WorkerOperations.DiffCall("d4"))).Result)!;
        afterPublish.Diff.ShouldContain("+brand new");
        afterPublish.Diff.ShouldContain("+later");
    }

    [Theory]
    [InlineData(CredentialKinds.Basic)]
    [InlineData(CredentialKinds.Bearer)]
    public async Task Publish_PushesWithTheSessionCredential_WhichLandsNowhere(string kind)
    {
        var secret = "sess-" + Guid.NewGuid().ToString("N");
        var expected = kind == CredentialKinds.Basic
            ? "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("x-access-token:" + secret))
            : "Bearer " + secret;
        await using var server = await GitHttpServer.StartAsync(Path.GetDirectoryName(_git.Bare)!, expected);
        var url = new Uri(server.BaseAddress, "app.git").ToString();
        // A wrapper records every git command line the worker runs, and the environment variable names it passes.
        var argvLog = Path.Combine(_git.Root, "argv.log");
        var wrapper = Path.Combine(_git.Root, "git-wrapper.sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{argvLog}'\nexec git \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var preparer = new WorkspacePreparer(_data, wrapper);
        var runner = new WorkerOperationRunner(new WorkspacePublisher(preparer.Git, Path.Combine(_data, "scratch"), logger: _log), _log);
        var credential = new SessionCredential { Kind = kind, Secret = secret };
        var session = await SessionAsync("h1", url, credential, preparer);
        await File.WriteAllTextAsync(Path.Combine(Workspace(session), "pushed.txt"), "over http\n");
        var authorizedBeforePush = server.Authorized;

        var (result, _) = await RunAsync(session, WorkerOperations.PublishCall("p", Request("warden/h1")), runner);

        result.Status.ShouldBe(ToolStatus.Ok, result.Error);
        server.Authorized.ShouldBeGreaterThan(authorizedBeforePush, "the push went through the authenticated server");
        GitFixture.Git(_git.Bare, "show", "warden/h1:pushed.txt").ShouldBe("over http\n");
        var commit = WorkerOperations.ReadPublishResult(result)!.Commit!;
        GitFixture.Git(_git.Bare, "cat-file", "-p", commit).ShouldNotContain(secret);
        GitFixture.FilesContaining(Workspace(session), secret).ShouldBeEmpty("not in the workspace or its .git");
        GitFixture.FilesContaining(_data, secret).ShouldBeEmpty("not in the mirror, scratch or anywhere in the worker's data");
        GitFixture.FilesContaining(_git.Bare, secret).ShouldBeEmpty("not on the remote");
        (await File.ReadAllTextAsync(argvLog)).ShouldContain("push");
        (await File.ReadAllTextAsync(argvLog)).ShouldNotContain(secret);
        GitFixture.Git(Workspace(session), "config", "--list", "--show-origin").ShouldNotContain(secret);
        result.Result!.Value.GetRawText().ShouldNotContain(secret);

        // A wrong credential: the push is refused, and the failure names neither secret.
        var wrong = new SessionCredential { Kind = kind, Secret = "wrong-" + secret };
        var stale = new WorkerSession("h1") { Target = session.Target! with { Credential = wrong } };
        await File.WriteAllTextAsync(Path.Combine(Workspace(session), "second.txt"), "x\n");
        var (refused, _) = await RunAsync(stale, WorkerOperations.PublishCall("p2", Request("warden/h1")), runner);
        refused.Status.ShouldBe(ToolStatus.Failed);
        refused.Error!.ShouldContain("Pushing branch 'warden/h1' failed");
        refused.Error!.ShouldNotContain(secret);
        _log.Text.ShouldContain("pushed");
        _log.Text.ShouldNotContain(secret);
    }

    [Fact]
    public async Task Publish_AndDiff_RunNothingTheAgentPlanted_AndLeaveNestedRepositoriesOut()
    {
        // The repository has a submodule (a gitlink at vendor/sub), as real repositories do.
        var submoduleCommit = _git.PushCommit("lib.txt", "lib\n");
        GitFixture.Git(_git.Source, "update-index", "--add", "--cacheinfo", $"160000,{submoduleCommit},vendor/sub");
        await File.WriteAllTextAsync(Path.Combine(_git.Source, ".gitmodules"), "[submodule \"sub\"]\n\tpath = vendor/sub\n\turl = ./sub.git\n");
        GitFixture.Git(_git.Source, "add", ".gitmodules");
        GitFixture.Git(_git.Source, "commit", "-q", "-m", "submodule");
        GitFixture.Git(_git.Source, "push", "-q", _git.Bare, "main");

        // The operator's git has a driver any .gitattributes could name (as git-lfs installs one): a wrapper supplies
        // a global and a system config with it unless the worker turns them off.
        var markers = Path.Combine(_git.Root, "markers");
        Directory.CreateDirectory(markers);
        var operatorConfig = Path.Combine(_git.Root, "operator.gitconfig");
        await File.WriteAllTextAsync(operatorConfig, $"""
            [filter "lfs"]
            	clean = touch {markers}/operator-filter; cat
            	smudge = cat
            [diff "lfs"]
            	textconv = touch {markers}/operator-textconv; cat
            [core]
            	fsmonitor = touch {markers}/operator-fsmonitor
            """);
        var wrapper = Path.Combine(_git.Root, "git-operator.sh");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\n: \"${{GIT_CONFIG_GLOBAL:={operatorConfig}}}\"\n: \"${{GIT_CONFIG_SYSTEM:={operatorConfig}}}\"\nexport GIT_CONFIG_GLOBAL GIT_CONFIG_SYSTEM\nexec git \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var preparer = new WorkspacePreparer(Path.Combine(_git.Root, "worker-op"), wrapper);
        var runner = new WorkerOperationRunner(new WorkspacePublisher(preparer.Git, Path.Combine(_git.Root, "worker-op", "scratch"), logger: _log), _log);
        var session = await SessionAsync("a1", preparer: preparer);
        var ws = Workspace(session);
        // Preparing the workspace honours the operator's configuration (the repository is not the agent's yet).
        foreach (var marker in Directory.EnumerateFiles(markers))
        {
            File.Delete(marker);
        }

        // What the agent plants in the working tree (everything here is writable from the sandbox):
        await File.WriteAllTextAsync(Path.Combine(ws, ".gitattributes"), "* filter=lfs diff=lfs merge=lfs\n*.txt filter=evil diff=evil\n");
        await File.WriteAllTextAsync(Path.Combine(ws, "real.txt"), "the real change\n");
        await File.WriteAllTextAsync(Path.Combine(ws, ":(glob)*"), "pathspec magic in a name\n");
        File.CreateSymbolicLink(Path.Combine(ws, "passwd"), "/etc/passwd");
        File.CreateSymbolicLink(Path.Combine(ws, "outside"), markers);
        Mkfifo(Path.Combine(ws, "pipe"));
        // ...a repository inside the submodule's folder at the very commit the base records (so git would ask it whether
        // it is dirty), cloned from the workspace's own .git, which the sandbox can read; its config, attributes and
        // hooks would run programs...
        PlantRepository(Path.Combine(ws, "vendor", "sub"), markers, "sub", cloneFrom: Path.Combine(ws, ".git"), at: submoduleCommit);
        // ...a new nested repository with the same tricks...
        PlantRepository(Path.Combine(ws, "nested"), markers, "nested");
        // ...and a .git file naming another repository on the worker (the mirror cache), to leak its head.
        Directory.CreateDirectory(Path.Combine(ws, "leak"));
        await File.WriteAllTextAsync(Path.Combine(ws, "leak", ".git"), "gitdir: " + preparer.MirrorPath(_git.Url) + "\n");
        // Hooks and fsmonitor in the workspace's own .git cannot be written from the sandbox (it is mounted read-only);
        // planted here anyway, they must not run either.
        PlantHooks(Path.Combine(ws, ".git"), markers, "top");
        GitFixture.Git(ws, "config", "core.fsmonitor", $"touch {markers}/top-fsmonitor");
        // Make git want to look inside the nested repositories: stat data that no longer matches.
        await Task.Delay(1100);
        foreach (var file in Directory.EnumerateFiles(ws, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/", StringComparison.Ordinal)))
        {
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow);
        }

        var (diffResult, _) = await RunAsync(session, WorkerOperations.DiffCall("d"), runner);
        var (publishResult, _) = await RunAsync(session, WorkerOperations.PublishCall("p", Request("warden/a1")), runner);

        Directory.EnumerateFileSystemEntries(markers).ShouldBeEmpty("no filter, textconv, fsmonitor or hook ran");
        diffResult.Status.ShouldBe(ToolStatus.Ok, diffResult.Error);
        publishResult.Status.ShouldBe(ToolStatus.Ok, publishResult.Error);
        var published = WorkerOperations.ReadPublishResult(publishResult)!;
        published.Skipped!.Order().ShouldBe(["leak", "nested"]);
        WorkerOperations.ReadDiffResult(diffResult)!.Skipped!.Order().ShouldBe(["leak", "nested"]);
        WorkerOperations.ReadDiffResult(diffResult)!.Diff.ShouldContain("+the real change");

        // What arrived: the files, symbolic links as links, no new gitlink, the submodule's gitlink as it was.
        var tree = GitFixture.Git(_git.Bare, "ls-tree", "-r", "warden/a1");
        tree.ShouldContain("real.txt");
        tree.ShouldContain(":(glob)*");
        tree.ShouldContain("120000 blob");
        tree.ShouldNotContain("nested");
        tree.ShouldNotContain("leak");
        tree.ShouldNotContain("pipe");
        tree.ShouldContain($"160000 commit {submoduleCommit}\tvendor/sub");
        GitFixture.Git(_git.Bare, "show", "warden/a1:passwd").ShouldBe("/etc/passwd", "a link's target, not the host file");
        GitFixture.Git(_git.Bare, "show", "warden/a1:real.txt").ShouldBe("the real change\n", "no clean filter touched the content");
    }

    /// <summary>A repository at <paramref name="path"/> whose config, attributes and hooks would each leave a marker.</summary>
    private static void PlantRepository(string path, string markers, string name, string? cloneFrom = null, string? at = null)
    {
        Directory.CreateDirectory(path);
        if (cloneFrom is null)
        {
            GitFixture.Git(path, "init", "-q");
            File.WriteAllText(Path.Combine(path, "file.txt"), "inside\n");
            GitFixture.Git(path, "add", ".");
            GitFixture.Git(path, "commit", "-q", "-m", "planted");
        }
        else
        {
            GitFixture.Git(path, "clone", "-q", "--no-checkout", cloneFrom, ".");
            GitFixture.Git(path, "checkout", "-q", "--detach", at!);
        }

        GitFixture.Git(path, "config", "core.fsmonitor", $"touch {markers}/{name}-fsmonitor");
        GitFixture.Git(path, "config", "filter.evil.clean", $"touch {markers}/{name}-filter; cat");
        GitFixture.Git(path, "config", "diff.evil.textconv", $"touch {markers}/{name}-textconv; cat");
        GitFixture.Git(path, "config", "core.pager", $"touch {markers}/{name}-pager; cat");
        File.WriteAllText(Path.Combine(path, ".gitattributes"), "* filter=evil diff=evil\n");
        PlantHooks(Path.Combine(path, ".git"), markers, name);
    }

    private static void PlantHooks(string gitDirectory, string markers, string name)
    {
        var hooks = Path.Combine(gitDirectory, "hooks");
        Directory.CreateDirectory(hooks);
        foreach (var hook in new[] { "pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "pre-push", "reference-transaction", "post-index-change", "fsmonitor-watchman" })
        {
            var file = Path.Combine(hooks, hook);
            File.WriteAllText(file, $"#!/bin/sh\ntouch {markers}/{name}-hook-{hook}\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    private static void Mkfifo(string path)
    {
        using var p = Process.Start("mkfifo", [path]);
        p.WaitForExit();
        p.ExitCode.ShouldBe(0);
    }
}
