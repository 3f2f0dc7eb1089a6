using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Warden.Protocol;
using Warden.Sandbox;
using Warden.Server.Workers;
using Warden.Worker.Runtime;

namespace Warden.IntegrationTests.Workers;

/// <summary>
/// The finish of a session through the real server, a real worker and the real bubblewrap sandbox: the agent changes
/// files and plants every git trick it can from inside the sandbox; the worker's <c>warden.diff</c> and
/// <c>warden.publish</c> (reserved tool names, run outside the sandbox) show and push the change to a real remote and
/// run none of the tricks; reserved names never reach the sandbox's runtime.
/// </summary>
public sealed class SandboxedPublishTests
{
    private static readonly Dictionary<string, string> NoLabels = [];

    private static ToolCall Shell(string id, string command) => new(id, "shell", JsonSerializer.SerializeToElement(new { command }));

    private static Task<ToolResult> RunAsync(WorkerTestbed bed, ToolCall call) =>
        bed.Dispatcher.ExecuteToolAsync("s1", call, _ => ValueTask.CompletedTask, CancellationToken.None);

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
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, error);
        return output;
    }

    [Fact]
    public async Task TheWorkerPublishesWhatTheSandboxChanged_RunningNothingTheAgentPlanted()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var source = Path.Combine(bed.Db.Folder, "source");
        Directory.CreateDirectory(source);
        Git(source, "init", "-q", "-b", "main");
        File.WriteAllText(Path.Combine(source, "greeting.txt"), "hello\n");
        Git(source, "add", ".");
        Git(source, "commit", "-q", "-m", "first");
        var bare = Path.Combine(bed.Db.Folder, "remote.git");
        Git(bed.Db.Folder, "clone", "-q", "--bare", source, bare);
        // Outside the sandbox: a command that ran in the worker's git would leave its marker here.
        var markers = Path.Combine(bed.Db.Folder, "markers");
        Directory.CreateDirectory(markers);

        var spy = new SpyRuntimeFactory(new SandboxSessionRuntimeFactory(SandboxRuntime.Create()));
        await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "sandboxed"), spy);
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "s1", new WorkspaceRequest("file://" + bare), CancellationToken.None);

        // The agent's work, and its tricks, all from inside the sandbox.
        var work = await RunAsync(bed, Shell("c1", $$"""
            set -e
            printf 'hello, world\n' > greeting.txt
            printf '* filter=evil diff=evil\n' > .gitattributes
            git init -q nested && cd nested
            git config core.fsmonitor 'touch {{markers}}/nested-fsmonitor'
            git config filter.evil.clean 'touch {{markers}}/nested-filter; cat'
            printf '#!/bin/sh\ntouch {{markers}}/nested-hook\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
            printf 'x\n' > f && git -c user.name=a -c user.email=a@b -c core.fsmonitor=false -c filter.evil.clean=cat commit -q --no-verify -m x --allow-empty
            cd ..
            ln -s /etc/passwd passwd-link
            echo done
            """));
        work.Status.ShouldBe(ToolStatus.Ok, work.Output);
        var blocked = await RunAsync(bed, Shell("c2", $$"""
            git config core.fsmonitor 'touch {{markers}}/top-fsmonitor' 2>&1; echo "config=$?"
            printf '#!/bin/sh\ntouch {{markers}}/top-hook\n' > .git/hooks/pre-commit 2>&1; echo "hook=$?"
            mv .git .git-moved 2>&1; echo "move=$?"
            """));
        blocked.Output!.ShouldNotContain("config=0");
        blocked.Output!.ShouldNotContain("hook=0");
        blocked.Output!.ShouldNotContain("move=0");

        // Reserved names: run by the worker, never given to the sandbox's runtime.
        var diff = await RunAsync(bed, WorkerOperations.DiffCall("d1"));
        diff.Status.ShouldBe(ToolStatus.Ok, diff.Error);
        var shown = WorkerOperations.ReadDiffResult(diff)!;
        shown.Diff.ShouldContain("+hello, world");
        shown.Skipped.ShouldBe(["nested"]);
        var publish = WorkerOperations.PublishCall("p1", new PublishRequest
        {
            Branch = "warden/s1",
            Message = "Greet the world",
            AuthorName = "Warden agent for Ada",
            AuthorEmail = "agent@warden.invalid",
            Trailers = new Dictionary<string, string> { ["Warden-Session"] = "s1", ["Requested-by"] = "ada@example.com" },
            RemoteBase = "main",
        });
        var published = await RunAsync(bed, publish);
        var again = await RunAsync(bed, publish);
        var unknown = await RunAsync(bed, new ToolCall("x1", "warden.shell", JsonSerializer.SerializeToElement(new { command = "id" })));

        published.Status.ShouldBe(ToolStatus.Ok, published.Error);
        var result = WorkerOperations.ReadPublishResult(published)!;
        result.Committed.ShouldBeTrue();
        WorkerOperations.ReadPublishResult(again)!.Commit.ShouldBe(result.Commit);
        unknown.Status.ShouldBe(ToolStatus.Error);
        unknown.Error!.ShouldContain("reserved");
        spy.Tools.ShouldNotContain(t => WorkerOperations.IsReserved(t));
        spy.Tools.ShouldContain("shell");

        Git(bare, "rev-parse", "warden/s1").Trim().ShouldBe(result.Commit);
        Git(bare, "rev-list", "--count", "main..warden/s1").Trim().ShouldBe("1", "the same call id committed once");
        Git(bare, "show", "warden/s1:greeting.txt").ShouldBe("hello, world\n");
        Git(bare, "show", "warden/s1:passwd-link").ShouldBe("/etc/passwd");
        Git(bare, "log", "-1", "--format=%an <%ae>|%cn|%(trailers:key=Warden-Session,valueonly)", "warden/s1").Trim()
            .ShouldBe("Warden agent for Ada <agent@warden.invalid>|Warden worker|s1");
        Git(bare, "ls-tree", "-r", "--name-only", "warden/s1").ShouldNotContain("nested");
        Directory.EnumerateFileSystemEntries(markers).ShouldBeEmpty("nothing the agent planted ran in the worker");

        await bed.Dispatcher.EndSessionAsync("s1", "done", CancellationToken.None);
    }

    /// <summary>Wraps a runtime factory and records every tool name its runtimes are asked to run.</summary>
    private sealed class SpyRuntimeFactory(ISessionRuntimeFactory inner) : ISessionRuntimeFactory
    {
        public ConcurrentQueue<string> Tools { get; } = new();

        public string Name => inner.Name;

        public bool IsSandboxed => inner.IsSandboxed;

        public async ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken) =>
            new Runtime(this, await inner.CreateAsync(context, cancellationToken));

        private sealed class Runtime(SpyRuntimeFactory owner, ISessionRuntime runtime) : ISessionRuntime
        {
            public Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
            {
                owner.Tools.Enqueue(call.Tool);
                return runtime.ExecuteAsync(call, onOutput, cancellationToken);
            }

            public ValueTask DisposeAsync() => runtime.DisposeAsync();
        }
    }
}
