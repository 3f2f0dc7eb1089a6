using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Protocol;
using Warden.ScriptedModel;
using Warden.Server.Hosting;
using Warden.Server.Sessions;
using Warden.Worker;
using Warden.Worker.Runtime;

namespace Warden.Benchmarks;

/// <summary>
/// Agent sessions (issue 7), with a scripted model of fixed latency behind the org's <c>default</c> route, a plain Git
/// repository (a local bare one) and simulated workers: in-process <see cref="WorkerHost"/>s (real WebSocket, ledger,
/// workspace clones and diffs with git) whose runtime runs no process and answers every tool call at once. Each session
/// makes K <c>read_file</c> calls, one per model turn, and then ends with a plain reply, so it finishes without changes
/// and nothing is pushed. The server is the normal one over SQLite, in a child process with the <c>warden</c>
/// executable's GC settings, so its memory and CPU are its own; the model, the workers and the load run in this process.
/// <para>(a) At light load (a few waves of a few sessions): every step's orchestration time as the server measures it (the
/// <see cref="SessionRunner.StepOverheadInstrument"/> histogram, which excludes the model call and the tool run), and
/// the wall time of a whole step (from one model request of a session to its next, seen at the model) against a
/// baseline measured in the same run: the same model request sent straight to the model by an HttpClient plus the same
/// no-op tool run directly, by as many concurrent loops as there were sessions.</para>
/// <para>(b) N sessions at once: each waits at its middle tool call until all N are there (so all N are running, hold a
/// workspace and are half way through at the same moment), then all go on; the server's working set and GC heap after
/// a full collection, before and at that moment, give the memory per session; throughput is the model calls served from
/// the release to the last session's end. Every session must succeed with K + 1 model calls, or the run fails.</para>
/// <para>Each phase also reports the CPU time of the server, of this process and of git, and the audit writer's
/// batches and queue, which show what a phase waited for when it did not use the cores.</para>
/// </summary>
public static class SessionBenchmark
{
    private const string Org = "default";
    private const string Repo = "bench";
    private const string UpstreamKey = "sk-bench-upstream-credential-1234567890";

    public static async Task<int> RunAsync(string[] args)
    {
        var sessions = IntArg(args, "--sessions", 500);
        var steps = IntArg(args, "--steps", 20);
        var latency = TimeSpan.FromMilliseconds(IntArg(args, "--latency-ms", 50));
        var workerCount = IntArg(args, "--workers", 4);
        var light = IntArg(args, "--light", 5);
        // Ten waves: 2,050 loop steps, so the p99 is not decided by a handful of steps.
        var waves = IntArg(args, "--waves", 10);
        // --rounds N: phase (b) again, to tell memory that stays with the server after sessions end from per-session growth.
        var rounds = IntArg(args, "--rounds", 1);
        var pgAdmin = StringArg(args, "--postgres");
        // --server-data DIR: where the server's SQLite database and data live (e.g. on tmpfs, to see what fsync costs).
        var serverParent = StringArg(args, "--server-data");
        // --server-env NAME=VALUE (repeatable): runtime settings for the server's process only, for experiments (e.g. DOTNET_GCgen0size).
        var serverEnv = args.Select((a, i) => (a, i)).Where(x => x.a == "--server-env" && x.i + 1 < args.Length).Select(x => args[x.i + 1]).ToList();
        // --worker-data DIR: where the simulated workers keep their clones. A worker is another machine, whose disk writes
        // (a clone per session) do not land on the server's disk; sharing one disk made the server's fsyncs wait for the
        // clones' writes (ext4 commits them together), so by default they go to tmpfs (/dev/shm) when there is one.
        var workerParent = StringArg(args, "--worker-data") ?? (Directory.Exists("/dev/shm") ? "/dev/shm" : null);
        if (sessions < 1 || steps < 2 || workerCount < 1 || light < 1 || waves < 1)
        {
            Console.Error.WriteLine("--sessions, --light and --waves must be at least 1, --steps at least 2, --workers at least 1.");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("warden-bench-sessions-").FullName;
        var workerData = workerParent is null ? Path.Combine(folder, "workers") : Directory.CreateDirectory(Path.Combine(workerParent, "warden-bench-workers-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var serverData = serverParent is null ? Path.Combine(folder, "server") : Directory.CreateDirectory(Path.Combine(serverParent, "warden-bench-server-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        string? pgName = null;
        var serverArgs = new List<string> { "sessions-server", "--data", serverData, "--max-concurrent", Math.Max(500, sessions).ToString(CultureInfo.InvariantCulture) };
        if (StringArg(args, "--alloc-types") is { } allocTypes)
        {
            serverArgs.AddRange(["--alloc-types", Path.GetFullPath(allocTypes)]);
        }

        if (pgAdmin is not null)
        {
            pgName = "warden_sesbench_" + Guid.NewGuid().ToString("N")[..8];
            await using (var admin = new NpgsqlConnection(pgAdmin))
            {
                await admin.OpenAsync();
                await admin.ExecuteAsync($"CREATE DATABASE {pgName}");
            }

            // PostgreSQL's default max_connections (100) is Npgsql's default pool size; other clients on the machine
            // would make 500 sessions fail with "too many clients", so the server's pool stays below it unless set.
            var database = new NpgsqlConnectionStringBuilder(pgAdmin) { Database = pgName };
            if (!pgAdmin.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
            {
                database.MaxPoolSize = 40;
            }

            serverArgs.AddRange(["--database", database.ToString()]);
        }

        Console.WriteLine($"# Agent session benchmark: {sessions:N0} sessions of {steps} tool calls + a final reply, model latency {latency.TotalMilliseconds:0} ms, " +
                          $"{workerCount} workers, {(pgAdmin is null ? "SQLite" : "PostgreSQL")}{(serverParent is null ? string.Empty : " in " + serverParent)}, workers' clones in {(workerParent ?? "the same folder")}, {(serverEnv.Count > 0 ? "server env " + string.Join(' ', serverEnv) + ", " : string.Empty)}" +
                          $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        Console.WriteLine($"# {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, load average {LoadAverage()}");
        Console.WriteLine();
        try
        {
            var script = new Script(steps);
            await using var model = await ScriptedModelServer.StartAsync(new ScriptedModelOptions
            {
                RecordRequests = false,
                RequiredApiKey = UpstreamKey,
                FirstByteLatency = latency,
                // Every answer is a tool call unless a queued finishing turn matches (the request holds all K results).
                DefaultTurn = new ScriptedTurn { ToolCalls = [ReadFile], InputTokens = 1000, OutputTokens = 20 },
            });
            var cloneUrl = await CreateRepositoryAsync(Path.Combine(folder, "repo"));
            await using var server = await GatewayServerProcess.StartAsync(serverArgs, serverEnv);
            using var client = new WardenClient(server.BaseAddress, server.AdminToken);
            await client.PutModelProviderAsync(Org, "scripted", new PutModelProviderRequest("openai-compatible", model.OpenAIEndpoint.ToString(), Credential: UpstreamKey));
            await client.PutModelRouteAsync(Org, "default", new PutModelRouteRequest([new RouteTargetDto("scripted", "scripted-coder")]));
            await client.PutRepositoryAsync(Org, Repo, new PutRepositoryRequest(cloneUrl, DefaultBranch: "main"));
            if (!(await client.ListPoolsAsync(Org)).Any(p => p.Name == "default"))
            {
                await client.CreatePoolAsync(Org, new CreatePoolRequest("default"));
            }

            var token = (await client.CreateJoinTokenAsync(Org, "default", new CreateJoinTokenRequest("bench"))).Secret;
            var runtime = new NoopRuntimeFactory();
            await using var workers = await Workers.StartAsync(server.BaseAddress, token, workerCount, (sessions + workerCount - 1) / workerCount + light + 4,
                workerData, runtime);

            var bench = new Bench(client, server, model, script, runtime, workers, steps, serverData);
            // Warm-up: connection pools, the workers' mirror caches, and above all the JIT. Tiered compilation recompiles
            // the hot methods in the background for the first half minute of load (about 6.5 s of the server's CPU went to
            // it, and the steps it delayed were most of the tail), so waves run until the server's JIT has settled.
            Console.WriteLine(await bench.WarmUpAsync(light, IntArg(args, "--warmup-waves", 60)));
            Console.WriteLine();
            await server.AskAsync("steps");
            await server.AskAsync("allocs");
            script.TakeIntervals();

            await bench.LightLoadAsync(light, waves);
            for (var round = 1; round <= rounds; round++)
            {
                Console.WriteLine();
                await bench.ConcurrentAsync(sessions, rounds > 1 ? $", round {round} of {rounds}" : string.Empty);
            }

            return 0;
        }
        finally
        {
            if (pgName is not null)
            {
                NpgsqlConnection.ClearAllPools();
                await using var admin = new NpgsqlConnection(pgAdmin);
                await admin.OpenAsync();
                await admin.ExecuteAsync($"DROP DATABASE IF EXISTS {pgName} WITH (FORCE)");
            }

            Directory.Delete(folder, true);
            if (workerParent is not null)
            {
                Directory.Delete(workerData, true);
            }

            if (serverParent is not null)
            {
                Directory.Delete(serverData, true);
            }
        }
    }

    private static readonly ScriptedToolCall ReadFile = new(string.Empty, "read_file", """{"path":"README.md"}""");

    /// <summary>One benchmark run's parts and its two phases.</summary>
    private sealed class Bench(WardenClient client, GatewayServerProcess server, ScriptedModelServer model, Script script, NoopRuntimeFactory runtime, Workers workers, int steps, string serverData)
    {
        /// <summary>
        /// Waves of <paramref name="count"/> sessions until the server's JIT has settled: two waves in a row in which it
        /// spent under 2 % of the server's CPU compiling (or <paramref name="maxWaves"/> waves). Returns what it took.
        /// </summary>
        public async Task<string> WarmUpAsync(int count, int maxWaves)
        {
            var watch = Stopwatch.StartNew();
            var start = await server.AskAsync("mem");
            var previous = start;
            var quiet = 0;
            var waves = 0;
            while (waves < maxWaves && quiet < 2)
            {
                await RunSessionsAsync(count, gateAt: 0);
                waves++;
                var now = await server.AskAsync("mem");
                var jitUs = now["jitus"] - previous["jitus"];
                quiet = jitUs < 0.02 * (now["cpu"] - previous["cpu"]) ? quiet + 1 : 0;
                previous = now;
            }

            return $"warm-up: {waves} waves of {count} sessions in {watch.Elapsed.TotalSeconds:0.0} s{(quiet < 2 ? " (the most allowed; the JIT had not settled)" : " until the server's JIT settled")}: " +
                   $"the server compiled {previous["jit"] - start["jit"]:N0} methods in {(previous["jitus"] - start["jitus"]) / 1e6:0.0} s of JIT time, " +
                   $"{previous["jit"]:N0} since it started; its CPU over the warm-up {(previous["cpu"] - start["cpu"]) / 1e6:0.0} s.";
        }

        /// <summary>(a) <paramref name="waves"/> waves of a few sessions at once, then the baseline loops, as many and as long.</summary>
        public async Task LightLoadAsync(int count, int waves)
        {
            var load = LoadAverage();
            var cpu = await Cpu.ReadAsync(server);
            var memBefore = await server.AskAsync("mem");
            var watch = Stopwatch.StartNew();
            for (var wave = 0; wave < waves; wave++)
            {
                await RunSessionsAsync(count, gateAt: 0);
            }

            var elapsed = watch.Elapsed;
            var used = (await Cpu.ReadAsync(server)).Since(cpu);
            var cpuMs = used.Server * 1000;
            var memAfter = await server.AskAsync("mem");
            var overhead = StepStats.From(await server.AskAsync("steps"));
            await server.AskAsync("allocs");
            var walls = Dist.Of(script.TakeIntervals());
            var baseline = await BaselineAsync(count, waves);
            var fsync = Fsync(serverData, 200);
            var modelCalls = waves * count * (steps + 1);

            Console.WriteLine($"## (a) {waves} waves of {count} sessions at once, {steps} tool calls each (load average {load} before, {LoadAverage()} after)");
            Console.WriteLine();
            var loopSteps = modelCalls + waves * count * steps;
            Console.WriteLine($"{waves * count} sessions finished in {elapsed.TotalSeconds:0.0} s; server CPU, everything included (creation, workspace, finish), {cpuMs / loopSteps:0.00} ms per loop step " +
                              $"({cpuMs / modelCalls:0.00} ms per model call with its tool call). {used.Describe(elapsed)}");
            var collections = memAfter["gen0"] - memBefore["gen0"];
            Console.WriteLine($"server garbage: {(memAfter["churn"] - memBefore["churn"]) / (double)loopSteps / 1024:0.0} KiB allocated per loop step; {collections:N0} collections " +
                              $"(gen1 {memAfter["gen1"] - memBefore["gen1"]:N0}, gen2 {memAfter["gen2"] - memBefore["gen2"]:N0}) pausing it {(memAfter["gcpauseus"] - memBefore["gcpauseus"]) / 1000.0:0.0} ms in all " +
                              $"({(memAfter["gcpauseus"] - memBefore["gcpauseus"]) / 1000.0 / Math.Max(1, collections):0.00} ms each); JIT {(memAfter["jitus"] - memBefore["jitus"]) / 1000.0:0} ms ({memAfter["jit"] - memBefore["jit"]:N0} methods).");
            Console.WriteLine();
            Console.WriteLine("| per step | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(baseline.Row("baseline: model call straight to the model + no-op tool run directly"));
            Console.WriteLine(walls.Row("Warden: one model request of a session to its next (model call, gateway, tool call on a worker, orchestration)"));
            Console.WriteLine(overhead.All.Row("Warden orchestration per loop step (server's histogram; excludes model and tool)"));
            Console.WriteLine(overhead.Model.Row("… model-turn steps"));
            Console.WriteLine(overhead.Tool.Row("… tool-call steps"));
            Console.WriteLine(fsync.Row("for scale: one 4 KiB write + fsync in the server's data folder (each durable SQLite commit waits for one)"));
            Console.WriteLine();
            Console.WriteLine($"ratio to the baseline: p50 {walls.P50 / baseline.P50:0.00} (+{walls.P50 - baseline.P50:0.0} ms), p99 {walls.P99 / baseline.P99:0.00} (+{walls.P99 - baseline.P99:0.0} ms); " +
                              $"orchestration p99 {overhead.All.P99:0.000} ms per loop step, {overhead.Model.P99 + overhead.Tool.P99:0.000} ms for a model turn plus its tool call (sum of the p99s). Goal: p99 ≤ 2 ms.");
        }

        /// <summary>(b) <paramref name="count"/> sessions at once, held together at their middle tool call.</summary>
        public async Task ConcurrentAsync(int count, string round)
        {
            var gateAt = Math.Max(1, steps / 2);
            var load = LoadAverage();
            var before = await server.AskAsync("mem gc");
            var cpu = await Cpu.ReadAsync(server);
            var auditBefore = await server.AskAsync("audit");
            var watch = Stopwatch.StartNew();
            runtime.ArmGate(gateAt);
            script.SkipIntervalAfter = gateAt;
            var polls = 0;
            var run = RunSessionsAsync(count, gateAt);
            var deadline = TimeSpan.FromMinutes(15);
            while (runtime.AtGate < count)
            {
                if (run.IsCompleted)
                {
                    await run;
                    throw new InvalidOperationException($"The sessions ended before all {count} reached the gate ({runtime.AtGate} did).");
                }

                if (watch.Elapsed > deadline)
                {
                    throw new TimeoutException($"Only {runtime.AtGate} of {count} sessions reached their middle step in {deadline.TotalMinutes} minutes; {workers.HeldSessions} held a workspace.");
                }

                if (++polls % 40 == 0 && (await server.AskAsync("states")).GetValueOrDefault("failed") > 0)
                {
                    var failed = (await client.ListSessionsAsync(Org, new Dictionary<string, string?> { ["state"] = "failed", ["limit"] = "1" }))[0];
                    throw new InvalidOperationException($"Session {failed.Id} failed before the gate: {failed.StateReason}");
                }

                await Task.Delay(50);
            }

            var allRunning = watch.Elapsed;
            var held = workers.HeldSessions;
            var running = (await server.AskAsync("running"))["running"];
            var atGate = await server.AskAsync("mem gc");
            var loadAtGate = LoadAverage();
            var requestsAtGate = model.RequestCount;
            var releaseWatch = Stopwatch.StartNew();
            runtime.ReleaseGate();
            await run;
            var afterRelease = releaseWatch.Elapsed;
            var callsAfterRelease = model.RequestCount - requestsAtGate;
            var total = watch.Elapsed;
            var used = (await Cpu.ReadAsync(server)).Since(cpu);
            var auditAfter = await server.AskAsync("audit");
            var after = await server.AskAsync("mem gc");
            var overhead = StepStats.From(await server.AskAsync("steps"));
            await server.AskAsync("allocs");
            var walls = Dist.Of(script.TakeIntervals());
            script.SkipIntervalAfter = 0;
            var loopSteps = count * (2 * steps + 1);
            var cpuMs = used.Server * 1000;

            Console.WriteLine($"## (b) {count:N0} sessions at once{round}, {steps} tool calls each, held together at tool call {gateAt} (load average {load} before, {loadAtGate} at the gate, {LoadAverage()} after)");
            Console.WriteLine();
            Console.WriteLine($"all {count:N0} running, each with a workspace on a worker and at tool call {gateAt}, {allRunning.TotalSeconds:0.0} s after the first was created (creating all through the API, 16 at a time: {CreatedIn.TotalSeconds:0.0} s) " +
                              $"(server's runner: {running:N0} running; workers: {held:N0} workspaces held); all succeeded with {steps + 1} model calls each, {total.TotalSeconds:0.0} s in all.");
            Console.WriteLine($"after the release: {callsAfterRelease:N0} model calls (each but the last of a session with its tool call) in {afterRelease.TotalSeconds:0.0} s = " +
                              $"{callsAfterRelease / afterRelease.TotalSeconds:N0} steps/s; server CPU, everything included, {cpuMs / loopSteps:0.00} ms per loop step over the phase " +
                              $"({cpuMs / (count * (steps + 1)):0.00} ms per model call with its tool call).");
            Console.WriteLine(used.Describe(total));
            var events = auditAfter["committed"] - auditBefore["committed"];
            var batches = auditAfter["batches"] - auditBefore["batches"];
            Console.WriteLine($"audit ledger: {events:N0} events in {batches:N0} store batches ({events / Math.Max(1.0, batches):0.0} per batch, {events / total.TotalSeconds:N0}/s over the phase), " +
                              $"at most {auditAfter["maxqueue"]:N0} appends waiting for the writer.");
            if (auditAfter["dbcommits"] > auditBefore["dbcommits"])
            {
                var dbWrites = auditAfter["dbwrites"] - auditBefore["dbwrites"];
                var dbCommits = auditAfter["dbcommits"] - auditBefore["dbcommits"];
                Console.WriteLine($"SQLite write queue (sessions, gateway usage, keys, workers and the audit ledger's batches): {dbWrites:N0} writes in {dbCommits:N0} commits " +
                                  $"({dbWrites / Math.Max(1.0, dbCommits):0.0} per commit); pooled connections found inside a transaction: {auditAfter["stranded"]:N0}.");
            }
            Console.WriteLine();
            Console.WriteLine("| server | working set | GC heap (after full GC) | anonymous RSS |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(MemRow("idle, before (baseline)", before));
            Console.WriteLine(MemRow($"{count:N0} sessions in flight, at tool call {gateAt}", atGate));
            Console.WriteLine(MemRow("all ended", after));
            Console.WriteLine();
            Console.WriteLine($"per session in flight: working set {(atGate["ws"] - before["ws"]) / (double)count / 1024:0.0} KiB, GC heap {(atGate["heap"] - before["heap"]) / (double)count / 1024:0.0} KiB, " +
                              $"anonymous RSS {(atGate["anon"] - before["anon"]) / (double)count / 1024:0.0} KiB; peak working set {Mb(after["peak"])}. " +
                              $"GC heap in flight less after all ended (what the sessions themselves hold, without the pools and caches the burst grew): {(atGate["heap"] - after["heap"]) / (double)count / 1024:0.0} KiB per session.");
            Console.WriteLine();
            Console.WriteLine("| per step, all sessions | n | p50 ms | p90 ms | p99 ms | max ms | mean ms |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(walls.Row("Warden: one model request of a session to its next (without the held step)"));
            Console.WriteLine(overhead.All.Row("Warden orchestration per loop step (server's histogram)"));
            Console.WriteLine(overhead.Model.Row("… model-turn steps"));
            Console.WriteLine(overhead.Tool.Row("… tool-call steps"));
        }

        /// <summary>How long the last <see cref="RunSessionsAsync"/> took to create its sessions through the API (16 at a time).</summary>
        public TimeSpan CreatedIn { get; private set; }

        /// <summary>Creates <paramref name="count"/> sessions at once and waits until every one has succeeded with K + 1 model calls.</summary>
        public async Task RunSessionsAsync(int count, int gateAt)
        {
            model.Enqueue(Enumerable.Range(0, count).Select(_ => script.Finishing()));
            var creating = Stopwatch.StartNew();
            var ids = new string[count];
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, Math.Min(count, 16)).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    ids[i] = (await client.CreateSessionAsync(Org, new CreateSessionRequest(Repo, $"Benchmark task {i}: read the README.", MaxSteps: steps + 5))).Id;
                }
            })));
            CreatedIn = creating.Elapsed;

            var watch = Stopwatch.StartNew();
            while (true)
            {
                await Task.Delay(gateAt > 0 ? 500 : 100);
                if (runtime.GateArmed && runtime.AtGate < count)
                {
                    continue;
                }

                var states = await server.AskAsync("states");
                if (states.GetValueOrDefault("queued") + states.GetValueOrDefault("running") + states.GetValueOrDefault("waiting") == 0 && states["runner"] == 0)
                {
                    break;
                }

                if (watch.Elapsed > TimeSpan.FromMinutes(20))
                {
                    throw new TimeoutException("The sessions did not end within 20 minutes.");
                }
            }

            var failures = new List<string>();
            await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, ct) =>
            {
                var s = await client.GetSessionAsync(Org, id, ct);
                if (s.State != "succeeded" || s.Steps != steps + 1)
                {
                    lock (failures)
                    {
                        failures.Add($"{id}: {s.State} after {s.Steps} model calls ({s.StateReason})");
                    }
                }
            });
            if (failures.Count > 0)
            {
                throw new InvalidOperationException($"{failures.Count} of {count} sessions did not succeed with {steps + 1} model calls: {string.Join("; ", failures.Take(5))}");
            }

            if (model.PendingTurns != 0)
            {
                throw new InvalidOperationException($"{model.PendingTurns} finishing turns were not used.");
            }
        }

        /// <summary>Times <paramref name="count"/> 4 KiB appends, each followed by an fsync, in <paramref name="folder"/>.</summary>
        private static Dist Fsync(string folder, int count)
        {
            var path = Path.Combine(folder, "fsync-probe");
            var block = new byte[4096];
            var samples = new List<double>(count);
            using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1))
            {
                for (var i = 0; i < count; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    file.Write(block);
                    file.Flush(flushToDisk: true);
                    samples.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }

            File.Delete(path);
            return Dist.Of(samples);
        }

        /// <summary>
        /// The baseline: <paramref name="waves"/> times <paramref name="concurrency"/> loops of K + 1 steps, each step the
        /// same model request a session sent (half way through its work) straight to the model, then the same no-op
        /// tool run directly.
        /// </summary>
        private async Task<Dist> BaselineAsync(int concurrency, int waves)
        {
            var body = Encoding.UTF8.GetBytes(script.SampleBody ?? throw new InvalidOperationException("No model request was captured."));
            var url = new Uri(model.OpenAIEndpoint, "chat/completions");
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 256 });
            var tool = await runtime.CreateAsync(new SessionRuntimeContext("baseline", Path.GetTempPath(), new SessionLimits()), CancellationToken.None);
            var call = new ToolCall("baseline", "read_file", JsonSerializer.SerializeToElement(new { path = "README.md" }));

            async Task<double> StepAsync()
            {
                var start = Stopwatch.GetTimestamp();
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", UpstreamKey);
                using var response = await http.SendAsync(request);
                var text = await response.Content.ReadAsStringAsync();
                response.EnsureSuccessStatusCode();
                _ = JsonNode.Parse(text)!["choices"]![0]!["message"]!["tool_calls"]!;
                var result = await tool.ExecuteAsync(call, _ => ValueTask.CompletedTask, CancellationToken.None);
                if (result.Status != ToolStatus.Ok)
                {
                    throw new InvalidOperationException("The no-op tool failed.");
                }

                return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            for (var i = 0; i < 20; i++)
            {
                await StepAsync();
            }

            var samples = new List<double>();
            for (var wave = 0; wave < waves; wave++)
            {
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
                {
                    var mine = new List<double>();
                    for (var i = 0; i <= steps; i++)
                    {
                        mine.Add(await StepAsync());
                    }

                    lock (samples)
                    {
                        samples.AddRange(mine);
                    }
                })));
            }

            await tool.DisposeAsync();
            return Dist.Of(samples);
        }
    }

    /// <summary>
    /// The model's script, shared by all sessions: the default turn is a tool call, and one queued finishing turn per
    /// session matches a request that already holds all K tool results. Each request is looked at once (its tool
    /// results counted, its session found by the <c>warden/ses_...</c> branch named in the system prompt), which also
    /// times the steps: a session's next request arrives one whole step after its previous one.
    /// </summary>
    private sealed class Script(int steps)
    {
        private readonly ConditionalWeakTable<ReceivedRequest, StrongBox<int>> _seen = new();
        private readonly Dictionary<string, (long At, int Results)> _last = new(StringComparer.Ordinal);
        private readonly List<double> _intervals = [];
        private readonly Lock _lock = new();

        /// <summary>A request sent half way through a session, for the baseline.</summary>
        public string? SampleBody { get; private set; }

        /// <summary>When above 0, the step that ends with this many tool results is not timed (it waited at the gate).</summary>
        public int SkipIntervalAfter { get; set; }

        public ScriptedTurn Finishing() => new()
        {
            Text = "I read the README; nothing needed changing.",
            InputTokens = 1000,
            OutputTokens = 20,
            Match = r => ToolResults(r) >= steps,
        };

        public List<double> TakeIntervals()
        {
            lock (_lock)
            {
                var taken = _intervals.ToList();
                _intervals.Clear();
                _last.Clear();
                return taken;
            }
        }

        private int ToolResults(ReceivedRequest request)
        {
            if (_seen.TryGetValue(request, out var known))
            {
                return known.Value;
            }

            var now = Stopwatch.GetTimestamp();
            var body = request.Body;
            var results = 0;
            for (var i = body.IndexOf("\"tool_call_id\"", StringComparison.Ordinal); i >= 0; i = body.IndexOf("\"tool_call_id\"", i + 1, StringComparison.Ordinal))
            {
                results++;
            }

            var branch = body.IndexOf("warden/ses_", StringComparison.Ordinal);
            if (branch >= 0 && branch + 7 + 36 <= body.Length)
            {
                var session = body.Substring(branch + 7, 36);
                lock (_lock)
                {
                    if (_last.TryGetValue(session, out var last) && results == last.Results + 1 && (SkipIntervalAfter == 0 || results != SkipIntervalAfter))
                    {
                        _intervals.Add(Stopwatch.GetElapsedTime(last.At, now).TotalMilliseconds);
                    }

                    _last[session] = (now, results);
                }
            }

            if (results == steps / 2)
            {
                SampleBody ??= body;
            }

            _seen.AddOrUpdate(request, new StrongBox<int>(results));
            return results;
        }
    }

    /// <summary>
    /// The workers' runtime: no process, every call answered Ok at once. When armed, each session's agent tool call
    /// number <c>gateAt</c> waits until <see cref="ReleaseGate"/> (the instruction-file reads of the preparation,
    /// call ids <c>ctx-...</c>, do not count).
    /// </summary>
    private sealed class NoopRuntimeFactory : ISessionRuntimeFactory
    {
        private static readonly Task<ToolResult> Ok = Task.FromResult(new ToolResult { Status = ToolStatus.Ok });
        private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _gateAt;
        private int _atGate;

        public string Name => "no-op";

        public bool IsSandboxed => false;

        public int AtGate => Volatile.Read(ref _atGate);

        public bool GateArmed => Volatile.Read(ref _gateAt) > 0;

        public void ArmGate(int gateAt)
        {
            _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _atGate, 0);
            Volatile.Write(ref _gateAt, gateAt);
        }

        public void ReleaseGate()
        {
            Volatile.Write(ref _gateAt, 0);
            _gate.TrySetResult();
        }

        public ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken) => ValueTask.FromResult<ISessionRuntime>(new Runtime(this));

        private sealed class Runtime(NoopRuntimeFactory owner) : ISessionRuntime
        {
            private int _calls;

            public Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
            {
                if (call.CallId.StartsWith("ctx-", StringComparison.Ordinal) || Volatile.Read(ref owner._gateAt) is var gateAt && (gateAt == 0 || ++_calls != gateAt))
                {
                    return Ok;
                }

                return WaitAsync(cancellationToken);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;

            private async Task<ToolResult> WaitAsync(CancellationToken cancellationToken)
            {
                var gate = owner._gate.Task;
                Interlocked.Increment(ref owner._atGate);
                await gate.WaitAsync(cancellationToken);
                return await Ok;
            }
        }
    }

    /// <summary>The simulated workers: in-process <see cref="WorkerHost"/>s in pool <c>default</c>.</summary>
    private sealed class Workers : IAsyncDisposable
    {
        private readonly List<(WorkerHost Host, CancellationTokenSource Stop, Task Run)> _workers = [];

        public int HeldSessions => _workers.Sum(w => w.Host.Sessions.Count);

        public static async Task<Workers> StartAsync(Uri server, string token, int count, int capacity, string folder, ISessionRuntimeFactory runtime)
        {
            var workers = new Workers();
            for (var i = 0; i < count; i++)
            {
                var host = new WorkerHost(new WorkerOptions
                {
                    Server = server, JoinToken = token, Name = $"sim-{i}", Capacity = Math.Min(1000, capacity), DataDirectory = Path.Combine(folder, $"sim-{i}"),
                }, runtime);
                var stop = new CancellationTokenSource();
                workers._workers.Add((host, stop, Task.Run(() => host.RunAsync(stop.Token))));
            }

            var watch = Stopwatch.StartNew();
            while (workers._workers.Any(w => w.Host.Registrations == 0))
            {
                if (watch.Elapsed > TimeSpan.FromSeconds(60) || workers._workers.Any(w => w.Run.IsFaulted))
                {
                    throw new InvalidOperationException("The simulated workers did not register.");
                }

                await Task.Delay(20);
            }

            return workers;
        }

        public async ValueTask DisposeAsync()
        {
            // Stopped, not killed: each says goodbye, so the server does not log them as lost.
            foreach (var (_, stop, _) in _workers)
            {
                await stop.CancelAsync();
            }

            foreach (var (host, stop, run) in _workers)
            {
                try
                {
                    await run;
                }
                catch (OperationCanceledException)
                {
                    // Stopped.
                }

                await host.DisposeAsync();
                stop.Dispose();
            }
        }
    }

    /// <summary>
    /// The child process: the normal server over SQLite in <c>--data</c> (or PostgreSQL, <c>--database</c>), which also listens to its own step histogram
    /// and answers <c>mem</c>, <c>mem gc</c>, <c>running</c>, <c>states</c>, <c>steps</c> (and <c>quit</c>) on standard input.
    /// </summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var data = StringArg(args, "--data") ?? throw new ArgumentException("--data DIR is required");
        var options = new WardenServerOptions
        {
            Database = StringArg(args, "--database") ?? Path.Combine(data, "warden.db"),
            DataDirectory = data,
            Listen = "127.0.0.1:0",
            MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        options = options with { Sessions = options.Sessions with { MaxConcurrent = IntArg(args, "--max-concurrent", options.Sessions.MaxConcurrent) } };
        var samples = new StepSamples();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SessionRunner.MeterName && instrument.Name == SessionRunner.StepOverheadInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) => samples.Add(seconds, tags));
        listener.Start();
        using var audit = new AuditSampler();
        // --alloc-types FILE: the server's sampled allocations by type, written for each phase (to find what to stop allocating).
        var allocTypes = StringArg(args, "--alloc-types");
        using var allocations = allocTypes is null ? null : new AllocationSampler();
        var phase = 0;

        await using var host = await WardenServerHost.CreateAsync(options, logging: l => l.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        var runner = host.App.Services.GetRequiredService<SessionRunner>();
        var store = host.App.Services.GetRequiredService<Warden.Data.Sessions.AgentSessionStore>();
        var connections = host.App.Services.GetRequiredService<Warden.Data.ConnectionFactory>();
        GatewayServerChild.Reply($"ready {host.BaseAddress} {host.AdminToken}");
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line.Trim())
            {
                case "mem":
                    GatewayServerChild.Reply(GatewayServerChild.Memory());
                    break;
                case "mem gc":
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GatewayServerChild.Reply(GatewayServerChild.Memory());
                    break;
                case "running":
                    GatewayServerChild.Reply(string.Create(CultureInfo.InvariantCulture, $"running running={runner.RunningCount}"));
                    break;
                case "states":
                    var counts = await store.CountByStateAsync();
                    GatewayServerChild.Reply(string.Create(CultureInfo.InvariantCulture, $"states runner={runner.RunningCount} {string.Join(' ', counts.Select(c => $"{c.Key}={c.Value}"))}"));
                    break;
                case "allocs":
                    if (allocations is not null)
                    {
                        await File.AppendAllTextAsync(allocTypes!, allocations.Take(phase++ == 0 ? "start-up and warm-up" : $"phase {phase - 1}"));
                    }

                    GatewayServerChild.Reply("allocs");
                    break;
                case "steps":
                    GatewayServerChild.Reply(samples.Take());
                    break;
                case "audit":
                    var (commits, writes) = connections.WriteStats;
                    GatewayServerChild.Reply(audit.Take() + string.Create(CultureInfo.InvariantCulture, $" dbcommits={commits} dbwrites={writes} stranded={connections.StrandedRollbacks}"));
                    break;
                case "quit":
                    return 0;
                default:
                    GatewayServerChild.Reply("error unknown command");
                    break;
            }
        }

        return 0;
    }

    /// <summary>
    /// The audit writer's own instruments (<c>Warden.Audit</c>), read every 20 ms: events committed, store batches, and
    /// the longest queue of appends waiting for the writer loop since the last <see cref="Take"/>.
    /// </summary>
    private sealed class AuditSampler : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly CancellationTokenSource _stop = new();
        private long _committed;
        private long _batches;
        private int _queue;
        private int _maxQueue;

        public AuditSampler()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == Warden.Audit.AuditWriter.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                switch (instrument.Name)
                {
                    case "warden.audit.events.committed":
                        Volatile.Write(ref _committed, value);
                        break;
                    case "warden.audit.batches":
                        Volatile.Write(ref _batches, value);
                        break;
                }
            });
            _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
            {
                if (instrument.Name == "warden.audit.queue.length")
                {
                    Volatile.Write(ref _queue, value);
                    if (value > Volatile.Read(ref _maxQueue))
                    {
                        Volatile.Write(ref _maxQueue, value);
                    }
                }
            });
            _listener.Start();
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    _listener.RecordObservableInstruments();
                }
            });
        }

        /// <summary>The reply <c>audit committed=... batches=... queue=... maxqueue=...</c>; the maximum starts again.</summary>
        public string Take()
        {
            _listener.RecordObservableInstruments();
            var max = Interlocked.Exchange(ref _maxQueue, 0);
            return string.Create(CultureInfo.InvariantCulture,
                $"audit committed={Volatile.Read(ref _committed)} batches={Volatile.Read(ref _batches)} queue={Volatile.Read(ref _queue)} maxqueue={max}");
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            _stop.Dispose();
        }
    }

    /// <summary>The step histogram's measurements since the last <see cref="Take"/>, by kind.</summary>
    private sealed class StepSamples
    {
        private readonly Lock _lock = new();
        private List<double> _model = [];
        private List<double> _tool = [];

        public void Add(double seconds, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var kind = tags.Length > 0 ? tags[0].Value as string : null;
            lock (_lock)
            {
                (kind == "tool" ? _tool : _model).Add(seconds * 1000);
            }
        }

        /// <summary>The reply <c>steps all.n=... model.p99=... tool.max=...</c>, in nanoseconds; the samples are cleared.</summary>
        public string Take()
        {
            List<double> model, tool;
            lock (_lock)
            {
                (model, tool, _model, _tool) = (_model, _tool, [], []);
            }

            var text = new StringBuilder("steps");
            foreach (var (name, values) in new[] { ("all", model.Concat(tool).ToList()), ("model", model), ("tool", tool) })
            {
                var d = Dist.Of(values);
                text.Append(CultureInfo.InvariantCulture, $" {name}.n={d.Count} {name}.p50={Ns(d.P50)} {name}.p90={Ns(d.P90)} {name}.p99={Ns(d.P99)} {name}.max={Ns(d.Max)} {name}.mean={Ns(d.Mean)}");
            }

            return text.ToString();
        }

        private static long Ns(double ms) => (long)(ms * 1_000_000);
    }

    /// <summary>The step histogram's figures per kind, as the child reported them.</summary>
    private sealed record StepStats(Dist All, Dist Model, Dist Tool)
    {
        public static StepStats From(Dictionary<string, long> fields) => new(Read(fields, "all"), Read(fields, "model"), Read(fields, "tool"));

        private static Dist Read(Dictionary<string, long> f, string name) =>
            new((int)f[name + ".n"], f[name + ".p50"] / 1e6, f[name + ".p90"] / 1e6, f[name + ".p99"] / 1e6, f[name + ".max"] / 1e6, f[name + ".mean"] / 1e6);
    }

    /// <summary>A distribution of times in milliseconds.</summary>
    private sealed record Dist(int Count, double P50, double P90, double P99, double Max, double Mean)
    {
        public static Dist Of(List<double> samples)
        {
            if (samples.Count == 0)
            {
                return new Dist(0, 0, 0, 0, 0, 0);
            }

            samples.Sort();
            double At(double q) => samples[Math.Min(samples.Count - 1, (int)(samples.Count * q))];
            return new Dist(samples.Count, At(0.50), At(0.90), At(0.99), samples[^1], samples.Average());
        }

        public string Row(string name) => $"| {name} | {Count:N0} | {P50:0.000} | {P90:0.000} | {P99:0.000} | {Max:0.000} | {Mean:0.000} |";
    }

    /// <summary>A bare repository at <paramref name="path"/> with one commit on <c>main</c>; returns its <c>file://</c> URL.</summary>
    private static async Task<string> CreateRepositoryAsync(string path)
    {
        var work = path + "-work";
        Directory.CreateDirectory(work);
        await File.WriteAllTextAsync(Path.Combine(work, "README.md"), "# Benchmark repository\n\nNothing to change here.\n");
        await GitAsync(work, "init", "--quiet", "--initial-branch=main");
        await GitAsync(work, "add", ".");
        await GitAsync(work, "-c", "user.name=bench", "-c", "user.email=bench@warden.invalid", "commit", "--quiet", "-m", "Initial commit");
        await GitAsync(null, "clone", "--quiet", "--bare", work, path);
        return new Uri(path).AbsoluteUri;
    }

    private static async Task GitAsync(string? directory, params string[] args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null)
        {
            info.WorkingDirectory = directory;
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error}");
        }
    }

    /// <summary>CPU time used so far, in seconds: the server child, this process (workers, model, clients) and its reaped children (git).</summary>
    private sealed record Cpu(double Server, double Self, double Git)
    {
        public static async Task<Cpu> ReadAsync(GatewayServerProcess server)
        {
            var serverUs = (await server.AskAsync("mem"))["cpu"];
            using var self = Process.GetCurrentProcess();
            // /proc/self/stat fields 16 and 17 (cutime, cstime) after the command name, in clock ticks (100 per second on Linux).
            var fields = File.ReadAllText("/proc/self/stat").Split(')')[^1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var children = (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) / 100.0;
            return new Cpu(serverUs / 1e6, self.TotalProcessorTime.TotalSeconds, children);
        }

        public Cpu Since(Cpu start) => new(Server - start.Server, Self - start.Self, Git - start.Git);

        public string Describe(TimeSpan wall) =>
            $"CPU over the {wall.TotalSeconds:0.0} s: server {Server:0.0} s, workers + model + clients {Self:0.0} s, git {Git:0.0} s: " +
            $"{(Server + Self + Git) / (wall.TotalSeconds * Environment.ProcessorCount):P0} of the {Environment.ProcessorCount} cores.";
    }

    private static string MemRow(string name, Dictionary<string, long> m) => $"| {name} | {Mb(m["ws"])} | {Mb(m["heap"])} | {Mb(m["anon"])} |";

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:N1} MiB";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
