using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Dapper;
using Npgsql;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.ScriptedModel;

namespace Warden.Benchmarks;

/// <summary>
/// The model gateway's added latency (issue 5): the same requests sent straight to a local scripted upstream, through
/// a bare forwarder (the floor: one more HTTP hop through a .NET process, nothing else) and through a real Warden
/// server, in the same run, in mirrored blocks (direct, forwarder, gateway, gateway, forwarder, direct, ...) so that
/// drift on a shared machine hits every side alike. The Warden server is the normal one (SQLite or PostgreSQL, audit
/// ledger and usage recording on, a key with a budget and limits, a priced model, prompt inspection in its default
/// mode) in a child process, so its memory and CPU are its own; the forwarder runs in another child process with the
/// same runtime settings; the upstream and the load generator run in this process. Every response must be a
/// complete 200, and every gateway call must end up with its usage row and audit event; otherwise the run fails.
/// </summary>
public static class GatewayBenchmark
{
    private const string Org = "default";
    private const string Route = "bench";
    private const string UpstreamModel = "gpt-4o-mini";
    private const string UpstreamKey = "sk-bench-upstream-credential-1234567890";

    /// <summary>Twenty words: a stream of 20 content chunks (plus role, finish and usage chunks and [DONE]).</summary>
    private const string Reply = "Hello! I am a scripted model answering quickly so that the gateway benchmark measures only what the gateway adds here.";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = IntArg(args, "--seconds", 10);
        var warmup = IntArg(args, "--warmup", 5);
        var longMinutes = IntArg(args, "--long", 0);
        var longConcurrency = IntArg(args, "--concurrency", 32);
        var pgAdmin = StringArg(args, "--postgres");
        // --server-env NAME=VALUE (repeatable): runtime settings for the gateway's process only, for experiments (e.g. DOTNET_GCgen0size).
        var serverEnv = args.Select((a, i) => (a, i)).Where(x => x.a == "--server-env" && x.i + 1 < args.Length).Select(x => args[x.i + 1]).ToList();
        var engine = pgAdmin is null ? "sqlite" : "postgres";

        var dir = Path.Combine(Path.GetTempPath(), "warden-gwbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        string? pgName = null;
        string? database = null;
        if (pgAdmin is not null)
        {
            pgName = "warden_gwbench_" + Guid.NewGuid().ToString("N")[..8];
            await using (var admin = new NpgsqlConnection(pgAdmin))
            {
                await admin.OpenAsync();
                await admin.ExecuteAsync($"CREATE DATABASE {pgName}");
            }

            database = new NpgsqlConnectionStringBuilder(pgAdmin) { Database = pgName }.ToString();
        }

        try
        {
            await using var upstream = await ScriptedModelServer.StartAsync(new ScriptedModelOptions
            {
                RecordRequests = false,
                RequiredApiKey = UpstreamKey,
                DefaultTurn = new ScriptedTurn { Text = Reply, InputTokens = 24, OutputTokens = 30 },
            });
            await using var server = await GatewayServerProcess.StartAsync(dir, database, upstream.BaseAddress, UpstreamKey, serverEnv);
            await using var forwarder = await GatewayServerProcess.StartAsync(null, null, upstream.BaseAddress, UpstreamKey);
            var secret = await ConfigureAsync(server, upstream);
            using var direct = Client(UpstreamKey);
            using var bare = Client("unused");
            using var gateway = Client(secret);
            var bench = new Bench(server, forwarder,
                (direct, new Uri(upstream.OpenAIEndpoint, "chat/completions")),
                (bare, new Uri(forwarder.BaseAddress, "v1/chat/completions")),
                (gateway, new Uri(server.BaseAddress, "v1/chat/completions")));

            Console.WriteLine($"# Model gateway benchmark: {engine}, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average {LoadAverage()}");
            var started = await server.AskAsync("mem");
            var gc = (started["server"] == 1 ? "server GC" : "workstation concurrent GC, as `warden`") + $", thread pool minimum {started["minthreads"]}";
            if (serverEnv.Count > 0)
            {
                Console.WriteLine($"# gateway process environment: {string.Join(' ', serverEnv)}");
            }

            Console.WriteLine($"# gateway: Warden server in pid {server.ProcessId} ({gc}); bare forwarder (the floor) in pid {forwarder.ProcessId}, same settings; upstream (scripted model) and load generator in pid {Environment.ProcessId}; loopback");
            Console.WriteLine();
            var failed = longMinutes > 0
                ? await bench.SoakAsync(TimeSpan.FromMinutes(longMinutes), longConcurrency)
                : await bench.MatrixAsync(TimeSpan.FromSeconds(warmup), TimeSpan.FromSeconds(seconds));
            Console.WriteLine();
            Console.WriteLine($"# load average at the end: {LoadAverage()}");
            return failed ? 1 : 0;
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

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A provider for the upstream, a route to it, its price and a key with a budget, a request rate and a concurrency limit (none of them reached).</summary>
    private static async Task<string> ConfigureAsync(GatewayServerProcess server, ScriptedModelServer upstream)
    {
        using var admin = new WardenClient(server.BaseAddress, server.AdminToken);
        await admin.PutModelProviderAsync(Org, "upstream", new PutModelProviderRequest("openai-compatible", upstream.OpenAIEndpoint.ToString(), Credential: UpstreamKey));
        await admin.PutModelRouteAsync(Org, Route, new PutModelRouteRequest([new RouteTargetDto("upstream", UpstreamModel)]));
        await admin.SetModelPriceAsync(Org, new PutModelPriceRequest(UpstreamModel, 0.15m, 0.60m));
        var key = await admin.CreateVirtualKeyAsync(Org, new CreateVirtualKeyRequest(
            "bench", Rpm: 10_000_000, MaxConcurrency: 1024, BudgetUsd: 10_000_000m, BudgetPeriod: "monthly"));
        return key.Secret;
    }

    /// <summary>One client per side: keep-alive, enough connections for every worker, nothing between it and the socket.</summary>
    private static HttpClient Client(string bearer)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = 256,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return http;
    }

    private static byte[] Body(string model, bool stream) => Encoding.UTF8.GetBytes(
        $$"""{"model":"{{model}}","messages":[{"role":"system","content":"You are a careful coding assistant."},{"role":"user","content":"Say hello in twenty words."}],"max_tokens":64{{(stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : string.Empty)}}}""");

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
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

    private sealed class Bench(GatewayServerProcess server, GatewayServerProcess forwarder, (HttpClient Http, Uri Url) direct, (HttpClient Http, Uri Url) bare, (HttpClient Http, Uri Url) gateway)
    {
        private long _gatewaySent;

        /// <summary>Direct, bare forwarder, gateway: in that order everywhere.</summary>
        private GatewayLoad[] Sides(bool stream) =>
        [
            new("direct", direct.Http, direct.Url, Body(UpstreamModel, stream), stream),
            new("bare forwarder", bare.Http, bare.Url, Body(UpstreamModel, stream), stream),
            new("gateway", gateway.Http, gateway.Url, Body(Route, stream), stream),
        ];

        public async Task<bool> MatrixAsync(TimeSpan warmup, TimeSpan measure)
        {
            var failed = false;
            var idle = await server.AskAsync("mem");

            // Every path (both kinds of answer, both concurrencies), round after round, until the gateway's process has
            // stopped compiling (tiered compilation with PGO takes a while on two busy cores), for at most a minute.
            var warming = Stopwatch.StartNew();
            var rounds = 0;
            long compiled;
            do
            {
                var jit = (await server.AskAsync("mem"))["jit"];
                foreach (var stream in new[] { false, true })
                {
                    foreach (var c in new[] { 1, 32 })
                    {
                        failed |= await WarmAsync(stream, c, warmup);
                    }
                }

                rounds++;
                compiled = (await server.AskAsync("mem"))["jit"] - jit;
            }
            while (compiled > 20 && warming.Elapsed < TimeSpan.FromMinutes(1));

            Console.WriteLine($"Warm-up: {rounds} round(s) of every scenario, {warming.Elapsed.TotalSeconds:0} s; the gateway compiled {compiled} methods in the last round.");
            Console.WriteLine();

            Console.WriteLine("| scenario | side | requests | req/s | mean ms | p50 ms | p90 ms | p99 ms | TTFT p50 ms | TTFT p99 ms |");
            Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            var added = new List<string>();
            var cost = new List<string>();
            MemoryPeak? peak = null;
            foreach (var stream in new[] { false, true })
            {
                foreach (var c in new[] { 1, 32 })
                {
                    var name = $"{(stream ? "streaming" : "non-streaming")}, c={c}";
                    failed |= await WarmAsync(stream, c, warmup);
                    var sides = Sides(stream);
                    var (d, f, g) = (sides[0], sides[1], sides[2]);
                    using var sampling = new CancellationTokenSource();
                    var sampler = c > 1 ? SampleMemoryAsync(sampling.Token) : Task.FromResult<MemoryPeak?>(null);
                    var block = c == 1 ? 100 : 32 * 32;
                    await server.AskAsync("overhead reset");
                    var writesBefore = await server.AskAsync("pending");
                    var before = await server.AskAsync("mem");
                    var fBefore = await forwarder.AskAsync("mem");
                    var sw = Stopwatch.StartNew();
                    for (var k = 0; sw.Elapsed < measure || k % 6 != 0; k++)
                    {
                        // Mirrored order (direct, forwarder, gateway, gateway, forwarder, direct): each side runs early and late alike.
                        await sides[k % 6 is var i && i < 3 ? i : 5 - i].RunBlockAsync(c, block, record: true);
                    }

                    await sampling.CancelAsync();
                    var p = await sampler;
                    var end = await server.AskAsync("mem");
                    var fEnd = await forwarder.AskAsync("mem");
                    var inside = await server.AskAsync("overhead");
                    var writesEnd = await server.AskAsync("pending");
                    peak = p is null ? peak : MemoryPeak.Max(peak, p);
                    _gatewaySent += g.Requests;
                    foreach (var side in sides)
                    {
                        side.Seal();
                        Console.WriteLine($"| {name} | {side.Name} | {side.Latencies.Count:N0} | {side.Rate:N0} | {Ms(GatewayLoad.Mean(side.Latencies))} | {P(side.Latencies, 0.50)} | {P(side.Latencies, 0.90)} | {P(side.Latencies, 0.99)} | {(stream ? P(side.FirstData, 0.50) : "")} | {(stream ? P(side.FirstData, 0.99) : "")} |");
                        failed |= Report(name, side);
                    }

                    added.Add($"| {name} | {Added(d.Latencies, g.Latencies, 0.50)} | {Added(d.Latencies, g.Latencies, 0.90)} | {Added(d.Latencies, g.Latencies, 0.99)} | "
                        + (stream ? $"{Added(d.FirstData, g.FirstData, 0.50)} | {Added(d.FirstData, g.FirstData, 0.99)} |" : " | |")
                        + $" {Added(d.Latencies, f.Latencies, 0.50)} / {Added(d.Latencies, f.Latencies, 0.99)} | {Added(f.Latencies, g.Latencies, 0.50)} / {Added(f.Latencies, g.Latencies, 0.99)} |"
                        + $" {inside["p50"] / 1e6:0.000} / {inside["p90"] / 1e6:0.000} / {inside["p99"] / 1e6:0.000} ({inside["n"]:N0}) | {g.Rate / d.Rate:0.00} |");
                    cost.Add($"| {name} | {PerCall(before, end, "cpu", g.Requests, 1):N0} | {PerCall(fBefore, fEnd, "cpu", f.Requests, 1):N0} | "
                        + $"{PerCall(before, end, "churn", g.Requests, 1024):N1} | {PerCall(fBefore, fEnd, "churn", f.Requests, 1024):N1} | {end["gen0"] - before["gen0"]} / {end["gen1"] - before["gen1"]} / {end["gen2"] - before["gen2"]} | {end["threads"]} | {end["jit"] - before["jit"]} ({(end["jitus"] - before["jitus"]) / 1000.0:0} ms) | "
                        + $"{PerCall(writesBefore, writesEnd, "recorderwrites", g.Requests, 0.001):N1} / {PerCall(writesBefore, writesEnd, "dbcommits", g.Requests, 0.001):N1} |");
                }
            }

            Console.WriteLine();
            Console.WriteLine("Added by the gateway (gateway − direct at the same percentile; goal p50 ≤ 0.100 ms, p99 ≤ 0.500 ms, TTFT ≤ 0.500 ms), and how it splits:");
            Console.WriteLine("the extra hop itself (bare forwarder − direct) and Warden's own work (gateway − bare forwarder); and the gateway's own time per call as its");
            Console.WriteLine($"{Warden.Server.Gateway.ModelGateway.OverheadInstrument} histogram measures it inside the handler, without the wait for the upstream (for a stream, to its first event written).");
            Console.WriteLine();
            Console.WriteLine("| scenario | added p50 ms | added p90 ms | added p99 ms | TTFT added p50 ms | TTFT added p99 ms | bare hop p50 / p99 ms | gateway over bare hop p50 / p99 ms | inside the handler p50 / p90 / p99 ms (calls) | throughput gateway/direct |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var line in added)
            {
                Console.WriteLine(line);
            }

            Console.WriteLine();
            Console.WriteLine("Cost per call in the gateway's process and in the bare forwarder's (process CPU time including background work ÷ calls in the measured blocks):");
            Console.WriteLine();
            Console.WriteLine("| scenario | gateway CPU µs/call | forwarder CPU µs/call | gateway allocated KB/call | forwarder allocated KB/call | gateway GCs gen0 / gen1 / gen2 | gateway thread-pool threads at the end | methods the gateway JIT-compiled meanwhile | recorder writes / SQLite commits per 1,000 calls |");
            Console.WriteLine("|---|---:|---:|---:|---:|---|---:|---:|---:|");
            foreach (var line in cost)
            {
                Console.WriteLine(line);
            }

            Console.WriteLine();
            var after = await server.AskAsync("mem");
            var fAfter = await forwarder.AskAsync("mem");
            Console.WriteLine("Gateway process memory (goal < 150 MB at load):");
            Console.WriteLine();
            Console.WriteLine("| when | GC heap in use MB | GC committed MB | working set MB |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine($"| idle, after start | {Mb(idle["allocated"])} | {Mb(idle["committed"])} | {Mb(idle["ws"])} |");
            if (peak is not null)
            {
                Console.WriteLine($"| highest sample during c=32 (1 s apart) | {Mb(peak.Heap)} | {Mb(peak.Committed)} | {Mb(peak.WorkingSet)} |");
            }

            Console.WriteLine($"| after the runs | {Mb(after["allocated"])} | {Mb(after["committed"])} | {Mb(after["ws"])} |");
            Console.WriteLine($"| peak working set of the process (VmHWM) | | | {Mb(after["peak"])} |");
            Console.WriteLine($"| for scale: the bare forwarder's process after the runs | {Mb(fAfter["allocated"])} | {Mb(fAfter["committed"])} | {Mb(fAfter["ws"])} (peak {Mb(fAfter["peak"])}) |");
            Console.WriteLine();
            Console.WriteLine($"After the runs the gateway's working set is {Mb(after["anon"])} MB private (RssAnon) and {Mb(after["file"])} MB mapped files (RssFile: the runtime's and the app's binaries, shared with other .NET processes) and {Mb(after["shmem"])} MB shared memory (RssShmem: the runtime's double mapping of JIT-compiled code). glibc's malloc holds {Mb(after["mallocfree"])} MB free; the server gave free native memory back {after["trims"]} times, {after["trimus"] / 1000.0:0.0} ms in all (NativeMemoryTrimmer).");
            Console.WriteLine();
            failed |= await CheckRecordsAsync();
            return failed;
        }

        public async Task<bool> SoakAsync(TimeSpan duration, int concurrency)
        {
            var failed = await WarmAsync(stream: false, concurrency, TimeSpan.FromSeconds(5));
            var g = Sides(stream: false)[2];
            long completed = 0;
            long latencyTicks = 0;
            using var stop = new CancellationTokenSource(duration);
            var load = g.RunUntilAsync(concurrency, stop.Token, ticks =>
            {
                Interlocked.Increment(ref completed);
                Interlocked.Add(ref latencyTicks, ticks);
            });
            Console.WriteLine($"Soak: non-streaming, c={concurrency}, through the gateway for {duration.TotalMinutes:0} min; memory after a forced full GC every 10 s (goal: no growth).");
            Console.WriteLine();
            Console.WriteLine("| t s | requests | req/s | mean ms | live heap MB | GC committed MB | working set MB | records queued, not yet written | calls that waited for room (total) | gen2 GCs |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            var samples = new List<(double T, long Heap, long Ws)>();
            var sw = Stopwatch.StartNew();
            long lastCount = 0;
            long lastTicks = 0;
            var lastT = 0.0;
            while (!load.IsCompleted)
            {
                await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10)));
                var t = sw.Elapsed.TotalSeconds;
                var count = Interlocked.Read(ref completed);
                var ticks = Interlocked.Read(ref latencyTicks);
                var mem = await server.AskAsync("mem gc");
                var pending = await server.AskAsync("pending");
                var interval = count - lastCount;
                var mean = interval == 0 ? double.NaN : (ticks - lastTicks) * 1000.0 / Stopwatch.Frequency / interval;
                Console.WriteLine($"| {t:0} | {count:N0} | {interval / (t - lastT):N0} | {Ms(mean)} | {Mb(mem["allocated"])} | {Mb(mem["committed"])} | {Mb(mem["ws"])} | {pending["count"]:N0} | {pending["waits"]:N0} | {mem["gen2"]} |");
                samples.Add((t, mem["allocated"], mem["ws"]));
                (lastCount, lastTicks, lastT) = (count, ticks, t);
            }

            await load;
            _gatewaySent += g.Requests;
            failed |= Report("soak", g);
            var from = samples.FirstOrDefault(s => s.T >= 60);
            var to = samples[^1];
            if (from != default && to.T > from.T)
            {
                var minutes = (to.T - from.T) / 60;
                Console.WriteLine();
                Console.WriteLine($"Growth from t={from.T:0} s to t={to.T:0} s: live heap {Mb(to.Heap - from.Heap)} MB ({(to.Heap - from.Heap) / 1048576.0 / minutes:+0.00;-0.00} MB/min), working set {Mb(to.Ws - from.Ws)} MB ({(to.Ws - from.Ws) / 1048576.0 / minutes:+0.00;-0.00} MB/min).");
            }

            Console.WriteLine();
            failed |= await CheckRecordsAsync();
            return failed;
        }

        private async Task<bool> WarmAsync(bool stream, int c, TimeSpan warmup)
        {
            var sides = Sides(stream);
            var sw = Stopwatch.StartNew();
            var block = c == 1 ? 50 : 32 * 8;
            while (sw.Elapsed < warmup)
            {
                foreach (var side in sides)
                {
                    await side.RunBlockAsync(c, block, record: false);
                }
            }

            _gatewaySent += sides[2].Requests;
            var failed = false;
            foreach (var side in sides)
            {
                failed |= Report("warm-up", side);
            }

            return failed;
        }

        /// <summary>Every gateway call has its usage row and its audit event once the recorder has drained; the ledger still verifies.</summary>
        private async Task<bool> CheckRecordsAsync()
        {
            var before = await server.AskAsync("stats");
            var queue = await server.AskAsync("pending");
            var flush = await server.AskAsync("flush");
            var stats = await server.AskAsync("stats");
            Console.WriteLine($"Gateway calls sent: {_gatewaySent:N0}; when the load stopped {before["usage"]:N0} usage rows and {before["audit"]:N0} audit events were written; "
                + $"the rest took {flush["ms"]} ms to drain; then {stats["usage"]:N0} usage rows, {stats["audit"]:N0} model.invoke audit events.");
            Console.WriteLine($"Recorder queue (capacity {queue["capacity"]:N0}): {queue["waits"]:N0} calls found it full and waited for room, {queue["waitus"] / 1000.0:N0} ms in total.");
            using var admin = new WardenClient(server.BaseAddress, server.AdminToken);
            var sw = Stopwatch.StartNew();
            var verify = await admin.VerifyAuditAsync();
            Console.WriteLine($"Audit ledger verification: {(verify.Intact ? "intact" : "BROKEN: " + verify.Problem)}, {verify.EventsVerified:N0} events, {verify.CheckpointsVerified} checkpoints, {sw.Elapsed.TotalSeconds:0.0} s.");
            var ok = verify.Intact && stats["usage"] == _gatewaySent && stats["audit"] == _gatewaySent;
            if (!ok)
            {
                Console.WriteLine("FAILED: the records do not match the calls sent.");
            }

            return !ok;
        }

        private static bool Report(string phase, GatewayLoad side)
        {
            if (side.Errors == 0)
            {
                return false;
            }

            Console.Error.WriteLine($"FAILED: {phase}, {side.Name}: {side.Errors} of {side.Requests} requests failed; first: {side.FirstError}");
            return true;
        }

        private async Task<MemoryPeak?> SampleMemoryAsync(CancellationToken stop)
        {
            MemoryPeak? peak = null;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                var m = await server.AskAsync("mem");
                peak = MemoryPeak.Max(peak, new MemoryPeak(m["allocated"], m["committed"], m["ws"]));
            }

            return peak;
        }
    }

    private sealed record MemoryPeak(long Heap, long Committed, long WorkingSet)
    {
        public static MemoryPeak Max(MemoryPeak? a, MemoryPeak b) =>
            a is null ? b : new MemoryPeak(Math.Max(a.Heap, b.Heap), Math.Max(a.Committed, b.Committed), Math.Max(a.WorkingSet, b.WorkingSet));
    }

    private static double PerCall(Dictionary<string, long> before, Dictionary<string, long> after, string field, long calls, double unit) =>
        (after[field] - before[field]) / unit / calls;

    private static string P(IReadOnlyList<long> sorted, double p) => Ms(GatewayLoad.Percentile(sorted, p));

    private static string Added(IReadOnlyList<long> direct, IReadOnlyList<long> gateway, double p) =>
        Ms(GatewayLoad.Percentile(gateway, p) - GatewayLoad.Percentile(direct, p));

    private static string Ms(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Mb(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
