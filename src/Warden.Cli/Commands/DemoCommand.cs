using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.ScriptedGit;
using Warden.ScriptedModel;
using Warden.Server.Hosting;
using Warden.Worker.Runtime;

namespace Warden.Cli.Commands;

/// <summary>
/// <c>warden demo</c>: the whole flow on one machine for a newcomer. A sample repository with a failing test and a
/// local bare remote, the real server on a fresh SQLite folder, the local worker with the bubblewrap sandbox, and a
/// SCRIPTED model (not an LLM) behind the gateway's <c>default</c> route; one session is created through the REST
/// API and followed live, then the pushed branch, the diff and the session's audit trail are shown and the ledger is
/// verified. Only the model's answers are scripted; everything else is what a real installation runs.
/// </summary>
public static class DemoCommand
{
    private const string Rule = "════════════════════════════════════════════════════════════════════════════════";

    /// <summary>Adds <c>demo</c> to <paramref name="root"/>.</summary>
    public static void Add(RootCommand root, CliEnvironment env)
    {
        var dir = new Option<string?>("--dir") { Description = "Folder for the sample repository, its remote and Warden's data (new or empty; default: a new temporary folder)." };
        var keep = new Option<bool>("--keep") { Description = "Leave the server running at the end to explore the web UI and the CLI; Ctrl+C stops it." };
        var listen = new Option<string>("--listen") { Description = "Address for the server, host:port (default: a free loopback port).", DefaultValueFactory = _ => "127.0.0.1:0" };
        var script = new Option<string?>("--script") { Description = "Replay this scripted-model file (JSON or YAML, see src/Warden.ScriptedModel/README.md) instead of the built-in script." };
        var verbose = new Option<bool>("--verbose") { Description = "Also print tool output as it streams." };
        var insecure = new Option<bool>("--insecure-no-sandbox") { Description = "Run the session WITHOUT a sandbox when bubblewrap is unusable (development only; loudly logged)." };
        var bwrap = new Option<string?>("--bwrap") { Description = "Path to bubblewrap (default: bwrap on PATH)." };
        var demo = new Command("demo", "See the whole flow in a minute: an agent fixes a failing test in a sample repository, driven by a SCRIPTED model (not a real LLM).")
        {
            dir, keep, listen, script, verbose, insecure, bwrap,
        };
        demo.SetHandler(env, (ctx, ct) => RunAsync(ctx, new DemoSettings(
            ctx.Parse.GetValue(dir), ctx.Parse.GetValue(keep), ctx.Parse.GetValue(listen)!, ctx.Parse.GetValue(script), ctx.Parse.GetValue(verbose), ctx.Parse.GetValue(insecure),
            ctx.Parse.GetValue(bwrap)), ct));
        root.Add(demo);
    }

    private static async Task<int> RunAsync(CliContext ctx, DemoSettings settings, CancellationToken ct)
    {
        if (ctx.Json)
        {
            throw new CliException("warden demo is a walkthrough for people and has no --json output.", 2);
        }

        // Check everything the demo depends on before it starts anything.
        var runtime = WorkerRuntimes.Select(settings.InsecureNoSandbox, out var refusal, bubblewrapPath: settings.Bubblewrap) ?? throw new CliException(refusal!);
        var (turns, defaultTurn) = LoadScript(settings.Script);
        var folder = PrepareFolder(settings.Directory);

        ctx.Line(Rule);
        ctx.Line(" warden demo: an agent session end to end, driven by a SCRIPTED model (NOT a real LLM).");
        ctx.Line($" Its answers are replayed from {(settings.Script is null ? "a built-in script" : settings.Script)}; it is registered as");
        ctx.Line($" provider '{DemoSample.Provider}', model '{DemoSample.Model}'. Everything else is real: the server,");
        ctx.Line(" the worker and its sandbox, the model gateway, the policies, git and the audit ledger.");
        ctx.Line(Rule);
        if (!runtime.IsSandboxed)
        {
            ctx.Env.Error.WriteLine(WorkerRuntimes.InsecureWarning);
        }

        try
        {
            return await RunInFolderAsync(ctx, settings, runtime, turns, defaultTurn, folder, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ctx.Line($"Interrupted; everything stopped. The demo's files are in {folder}.");
            return 130;
        }
    }

    private static async Task<int> RunInFolderAsync(
        CliContext ctx, DemoSettings settings, ISessionRuntimeFactory runtime, IReadOnlyList<ScriptedTurn> turns, ScriptedTurn defaultTurn, string folder, CancellationToken ct)
    {
        var started = DateTimeOffset.UtcNow;

        // 1. The sample repository: a bare remote that Warden clones and pushes to, and a clone of it for the user.
        var remote = Path.Combine(folder, "calc.git");
        var sample = Path.Combine(folder, "calc");
        try
        {
            await BareRepository.CreateAsync(remote, DemoSample.Files, "main", "calc: add two numbers (add subtracts; the test fails)", ct: ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            throw new CliException($"Cannot create the sample repository with git: {e.Message}");
        }

        await GitCheckout.RunAsync(["clone", "--quiet", "--", remote, sample], null, ct).ConfigureAwait(false);
        ctx.Line($"[1/6] Sample repository {sample}: add subtracts, so `sh test.sh` fails.");
        ctx.Line($"      Its remote (plain git, what Warden clones and pushes to): {remote}");

        // 2. The server, on its own SQLite folder: nothing of the user's configuration (appsettings, WARDEN__*) applies.
        var data = Path.Combine(folder, "data");
        var options = new WardenServerOptions
        {
            DataDirectory = data,
            Listen = settings.Listen,
            Sessions = new Server.Sessions.SessionRunnerOptions { WorkerRetryInterval = TimeSpan.FromMilliseconds(250) },
        };
        await using var server = await WardenServerHost.CreateAsync(options, logging: l => l.SetMinimumLevel(LogLevel.Warning), cancellationToken: ct).ConfigureAwait(false);
        try
        {
            await server.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new CliException($"Cannot listen on {settings.Listen}: {e.Message}");
        }

        var org = options.BootstrapOrg;
        var token = server.AdminToken ?? throw new CliException($"{data} already held a Warden database; the demo needs a fresh folder.");
        using var client = new WardenClient(server.BaseAddress, token);
        ctx.Line($"[2/6] Warden server at {server.BaseAddress} on SQLite in {data}");
        await using var worker = await LocalWorker.StartAsync(ctx, server, options, data, runtime, ct).ConfigureAwait(false);
        await WaitForWorkerAsync(client, org, ct).ConfigureAwait(false);

        // 3. The scripted model, behind the gateway like any provider: the gateway holds its key, the agent never sees it.
        var providerKey = "sk-scripted-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await using var model = await ScriptedModelServer.StartAsync(new ScriptedModelOptions
        {
            RequiredApiKey = providerKey,
            DefaultTurn = defaultTurn,
            Models = [DemoSample.Model],
            RecordRequests = false,
        }, ct).ConfigureAwait(false);
        model.Enqueue(turns);
        await client.PutModelProviderAsync(org, DemoSample.Provider, new PutModelProviderRequest("openai-compatible", model.OpenAIEndpoint.ToString(), Credential: providerKey), ct)
            .ConfigureAwait(false);
        await client.PutModelRouteAsync(org, "default", new PutModelRouteRequest([new RouteTargetDto(DemoSample.Provider, DemoSample.Model)]), ct).ConfigureAwait(false);
        ctx.Line($"[3/6] SCRIPTED model (not an LLM) at {model.OpenAIEndpoint}: provider '{DemoSample.Provider}', route 'default' -> {DemoSample.Provider}:{DemoSample.Model}");

        // 4. The repository, as plain git: the branch is pushed, no pull request is opened.
        var repository = await client.PutRepositoryAsync(org, DemoSample.RepositoryName, new PutRepositoryRequest(new Uri(remote).AbsoluteUri, DefaultBranch: "main"), ct)
            .ConfigureAwait(false);
        ctx.Line($"[4/6] Repository '{repository.Name}' registered ({repository.Kind}, {repository.CloneUrl})");

        // 5. The session, through the REST API, followed with the renderer of 'warden task run'.
        var session = await client.CreateSessionAsync(org, new CreateSessionRequest(repository.Name, DemoSample.Instruction, Pool: LocalWorker.PoolName, MaxSteps: 20, MaxMinutes: 10), ct)
            .ConfigureAwait(false);
        ctx.Line($"[5/6] Session {session.Id}, followed live (the model's answers are SCRIPTED):");
        ctx.Line(string.Empty);
        await TaskCommands.FollowNewAsync(ctx, client, org, session, settings.Verbose, ct).ConfigureAwait(false);
        ctx.Line(string.Empty);
        var done = await client.GetSessionAsync(org, session.Id, ct).ConfigureAwait(false);
        if (done.State != "succeeded" || done.Branch is null || done.Commit is null)
        {
            throw new CliException($"The demo session {done.Id} ended {done.State}{(done.StateReason is null ? string.Empty : ": " + done.StateReason)} (files in {folder}).");
        }

        // 6. What it left behind: the branch on the remote, the diff, and the audit trail.
        if (!await BareRepository.HasBranchAsync(remote, done.Branch, ct: ct).ConfigureAwait(false))
        {
            throw new CliException($"The session reported branch {done.Branch}, but the remote {remote} does not have it.");
        }

        var pushed = (await GitCheckout.RunAsync(["rev-parse", "refs/heads/" + done.Branch], remote, ct).ConfigureAwait(false)).Trim();
        var diff = await GitCheckout.RunAsync(["diff", "--no-color", "main", done.Branch], remote, ct).ConfigureAwait(false);
        ctx.Line($"[6/6] The agent's work, pushed by the worker to {remote}:");
        ctx.Line($"      branch  {done.Branch}");
        ctx.Line($"      commit  {pushed}");
        foreach (var line in diff.TrimEnd().Split('\n'))
        {
            ctx.Line("      | " + line);
        }

        ctx.Line($"      Inspect it: git -C {remote} log --stat {done.Branch}");
        ctx.Line($"             or: git -C {sample} fetch && git -C {sample} diff main origin/{done.Branch}");

        await WriteAuditAsync(ctx, client, org, done, data, ct).ConfigureAwait(false);
        ctx.Line(string.Empty);
        ctx.Line($"Done in {(DateTimeOffset.UtcNow - started).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s. The files stay in {folder}; delete it when you are done.");
        if (settings.Keep)
        {
            ctx.Line(string.Empty);
            ctx.Line($"Warden keeps running at {server.BaseAddress} (--keep). Admin token: {token}");
            ctx.Line($"  Web UI: open {server.BaseAddress} and choose \"Sign in with an API token\"; the audit trail is at {server.BaseAddress}o/{org}/audit");
            ctx.Line($"  CLI:    export WARDEN_SERVER={server.BaseAddress} WARDEN_TOKEN={token} WARDEN_ORG={org}");
            ctx.Line($"          warden task show {done.Id} --transcript; warden audit search; warden model calls");
            ctx.Line("Press Ctrl+C to stop.");
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        ctx.Line("Stopping the server, the worker and the scripted model.");
        return 0;
    }

    private static async Task WriteAuditAsync(CliContext ctx, WardenClient client, string org, SessionDto session, string data, CancellationToken ct)
    {
        // A signed checkpoint over everything so far, so the verification below covers the whole session.
        await client.CheckpointAuditAsync(ct).ConfigureAwait(false);
        var events = (await client.SearchAuditAsync(org, new Dictionary<string, string?> { ["limit"] = "1000" }, ct).ConfigureAwait(false)).Events;
        var ofSession = events.Where(e => e.SessionId == session.Id || e.ActorId == session.Id || e.ResourceId == session.Id ||
                                          (e.Action == "model.invoke" && e.ActorDisplay?.StartsWith($"session-{session.Id}-", StringComparison.Ordinal) == true)).ToList();
        var byAction = ofSession.GroupBy(e => e.Action).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}");
        ctx.Line($"      Audit trail of {session.Id}: {ofSession.Count} events: {string.Join(", ", byAction)}");
        var verified = await client.VerifyAuditAsync(ct).ConfigureAwait(false);
        if (!verified.Intact)
        {
            throw new CliException($"The audit ledger is NOT intact: first bad sequence {verified.ProblemSequence} ({verified.ProblemKind}): {verified.Problem}");
        }

        ctx.Line($"      Ledger verified (what `warden audit verify` checks): intact, {verified.EventsVerified} events, {verified.CheckpointsVerified} signed checkpoint(s).");
        ctx.Line($"      Offline, with the server stopped too: warden audit verify --data {data}");
    }

    private static async Task WaitForWorkerAsync(WardenClient client, string org, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            while (!(await client.ListWorkersAsync(org, LocalWorker.PoolName, deadline.Token).ConfigureAwait(false)).Any(w => w.Connected && w.State == "online"))
            {
                await Task.Delay(100, deadline.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException("The local worker did not connect to the server within 30 seconds.");
        }
    }

    private static (IReadOnlyList<ScriptedTurn> Turns, ScriptedTurn DefaultTurn) LoadScript(string? path)
    {
        if (path is null)
        {
            return (DemoSample.Turns, DemoSample.Exhausted);
        }

        if (!File.Exists(path))
        {
            throw new CliException($"{path} does not exist.");
        }

        try
        {
            var script = ScriptedModelScript.Load(path);
            return (script.Turns, script.DefaultTurn ?? DemoSample.Exhausted);
        }
        catch (FormatException e)
        {
            throw new CliException($"{path}: {e.Message}");
        }
    }

    private static string PrepareFolder(string? requested)
    {
        var folder = Path.GetFullPath(requested ?? Path.Combine(Path.GetTempPath(), "warden-demo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))));
        if (File.Exists(folder) || (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any()))
        {
            throw new CliException($"{folder} is not an empty folder; the demo starts from nothing (pass a new --dir).");
        }

        Directory.CreateDirectory(folder);
        return folder;
    }

    private sealed record DemoSettings(string? Directory, bool Keep, string Listen, string? Script, bool Verbose, bool InsecureNoSandbox, string? Bubblewrap);
}
