using System.Diagnostics;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Data.Sessions;
using Warden.IntegrationTests.Workers;
using Warden.Sandbox;
using Warden.ScriptedGit;
using Warden.ScriptedModel;
using Warden.Server.Policy;
using Warden.Worker;
using Warden.Worker.Runtime;

namespace Warden.IntegrationTests.Sessions;

/// <summary>
/// Everything an agent session needs, real where a user's would be: the server (restartable, on SQLite or
/// PostgreSQL), a worker with the real bubblewrap sandbox in pool <c>default</c>, a Git host serving real smart HTTP
/// and GitHub's pull-request API (<c>acme/calc</c>, a shell "calculator" whose add subtracts, with a failing test),
/// and a scripted model behind the gateway's <c>default</c> route. Only the model's answers are scripted.
/// </summary>
internal sealed class SessionTestbed : IAsyncDisposable
{
    public const string Org = "default";
    public const string Project = "acme/calc";
    public const string GitToken = "ghp_testbedtoken0123456789";
    public const string UpstreamKey = "sk-upstream-provider-key-0123456789";

    private readonly HelloListener _listener = new();

    private SessionTestbed(WorkerTestbed bed, ScriptedGitServer git, ScriptedModelServer model)
    {
        Bed = bed;
        Git = git;
        Model = model;
    }

    public WorkerTestbed Bed { get; }

    public ScriptedGitServer Git { get; }

    public ScriptedModelServer Model { get; }

    public WorkerHost Worker { get; private set; } = null!;

    /// <summary>A port on the host's loopback that no policy lets the sandbox reach (it answers "hello from the host").</summary>
    public int ForbiddenPort => _listener.Port;

    public static async Task<SessionTestbed> StartAsync(string engine = "sqlite", Func<Warden.Server.Sessions.SessionRunnerOptions, Warden.Server.Sessions.SessionRunnerOptions>? sessions = null)
    {
        var bed = await WorkerTestbed.StartAsync(engine, o =>
        {
            var options = o.Sessions with { WorkerRetryInterval = TimeSpan.FromMilliseconds(200), PollInterval = TimeSpan.FromMilliseconds(200) };
            return o with { Sessions = sessions?.Invoke(options) ?? options };
        });
        var git = await ScriptedGitServer.StartAsync(new ScriptedGitOptions { Token = GitToken });
        var model = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = UpstreamKey });
        var testbed = new SessionTestbed(bed, git, model);
        await testbed.SetUpAsync();
        return testbed;
    }

    private async Task SetUpAsync()
    {
        var cloneUrl = await Git.CreateRepositoryAsync(Project, new Dictionary<string, string>
        {
            ["AGENTS.md"] = "# Notes for agents\n\nRun the tests with `sh test.sh` before you finish.\n",
            ["calc.sh"] = "#!/bin/sh\n# add A B: prints A + B\necho $(($1 - $2))\n",
            ["test.sh"] = "#!/bin/sh\ngot=$(sh calc.sh 2 3)\n[ \"$got\" = 5 ] || { echo \"FAIL: add 2 3 gave $got\"; exit 1; }\necho PASS\n",
        });
        using var admin = Client();
        await admin.PutGitConnectionAsync(Org, "github", new PutGitConnectionRequest("github", Git.GitHubApiUrl.ToString(), Credential: GitToken));
        await admin.PutRepositoryAsync(Org, "calc", new PutRepositoryRequest(cloneUrl.ToString(), Connection: "github", DefaultBranch: "main", Project: Project));
        await admin.PutModelProviderAsync(Org, "scripted", new PutModelProviderRequest("openai-compatible", Model.OpenAIEndpoint.ToString(), Credential: UpstreamKey));
        await admin.PutModelRouteAsync(Org, "default", new PutModelRouteRequest([new RouteTargetDto("scripted", "scripted-coder")]));
        await StartWorkerAsync();
    }

    /// <summary>Starts the sandboxed worker (again, after <see cref="KillWorkerAsync"/>).</summary>
    public async Task StartWorkerAsync()
    {
        var runtime = new SandboxSessionRuntimeFactory(SandboxRuntime.Create(), allowPrivateEgressTargets: true);
        runtime.IsSandboxed.ShouldBeTrue("these tests need bubblewrap (.ci/setup installs it)");
        (Worker, _) = await Bed.StartWorkerAsync(Bed.Options(await Bed.JoinTokenAsync("default"), "sandboxed"), runtime);
    }

    /// <summary>Warden's default policies plus <paramref name="extra"/> (a policy push replaces the whole set).</summary>
    public async Task PushPoliciesAsync(string extra)
    {
        using var admin = Client();
        var files = new Dictionary<string, string>(PolicyBundle.Default.Files.Where(f => f.Key.EndsWith(".cedar", StringComparison.Ordinal)))
        {
            ["test.cedar"] = extra,
        };
        await admin.PushPoliciesAsync(Org, new PushPolicyRequest(files, "session tests"));
    }

    public WardenClient Client() => Bed.Client();

    public async Task<SessionDto> CreateAsync(string instruction = "Make test.sh pass: add in calc.sh is wrong.")
    {
        using var client = Client();
        return await client.CreateSessionAsync(Org, new CreateSessionRequest("calc", instruction));
    }

    /// <summary>Waits until the session is in one of <paramref name="states"/> and returns it.</summary>
    public async Task<SessionDto> WaitForAsync(string id, int seconds, params string[] states)
    {
        using var client = Client();
        SessionDto? session = null;
        try
        {
            await WorkerTestbed.Until(async () =>
            {
                session = await client.GetSessionAsync(Org, id);
                return states.Contains(session.State) || SessionStates.IsFinal(session.State);
            }, $"session {id} reaches {string.Join(" or ", states)}", seconds);
        }
        catch (TimeoutException e)
        {
            var last = (await client.ListSessionEventsAsync(Org, id)).TakeLast(5).Select(x => $"{x.Kind}: {x.Data.GetRawText()[..Math.Min(300, x.Data.GetRawText().Length)]}");
            throw new TimeoutException($"{e.Message}; it is {session?.State} ({session?.StateReason}), model requests {Model.RequestCount}, last entries: {string.Join(" | ", last)}", e);
        }
        states.ShouldContain(session!.State, $"session {id} ended {session.State}: {session.StateReason}");
        return session;
    }

    /// <summary>The session's audit events: by the agent, about the session, from its sandbox or its model calls.</summary>
    public async Task<List<AuditEventDto>> AuditOfAsync(SessionDto session)
    {
        using var client = Client();
        var events = (await client.SearchAuditAsync(Org, new Dictionary<string, string?> { ["limit"] = "1000" })).Events;
        return events.Where(e => e.SessionId == session.Id || e.ActorId == session.Id || e.ResourceId == session.Id).OrderBy(e => e.Sequence).ToList();
    }

    /// <summary>The pushed branch's last commit: author name, e-mail and message.</summary>
    public string LastCommit(string branch)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--git-dir", Git.RepositoryPath(Project), "log", "-1", "--format=%an%n%ae%n%B", branch })
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, output);
        return output;
    }

    public static ScriptedTurn Call(string id, string tool, string argumentsJson) => ScriptedTurn.Calling(new ScriptedToolCall(id, tool, argumentsJson));

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await Bed.DisposeAsync();
        await Model.DisposeAsync();
        await Git.DisposeAsync();
    }
}
