using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Protocol;
using Warden.Server.Hosting;
using Warden.Server.Workers;
using Warden.Worker;
using Warden.Worker.Runtime;

namespace Warden.Benchmarks;

/// <summary>
/// Workers, each figure beside a baseline measured in the same run:
/// (a) a tool call's round trip server → worker → server over loopback (the worker runs <c>true</c> through a
/// process) against running the same process directly, and against a runtime that runs nothing (pure transport);
/// (b) N simulated idle workers (a WebSocket each that registers and heartbeats) held by one server, with the server's
/// memory before and after. The server runs in a child process so its memory is its own and each process stays within
/// the file-descriptor limit; (c) a session's workspace and sandbox ready time (<see cref="WorkspaceBenchmark"/>).
/// Each part is skipped with a count of 0 (<c>--calls 0</c>, <c>--workers 0</c>, <c>--files 0</c>).
/// </summary>
public static class WorkerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var calls = IntArg(args, "--calls", 2000);
        var workers = IntArg(args, "--workers", 10_000);
        var files = IntArg(args, "--files", 10_000);
        Console.WriteLine($"# Worker benchmark: {calls:N0} calls, {workers:N0} idle workers, a {files:N0}-file workspace, {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        Console.WriteLine();
        if (calls > 0)
        {
            await RoundTripAsync(calls);
            Console.WriteLine();
        }

        if (workers > 0)
        {
            await IdleWorkersAsync(workers, IntArg(args, "--heartbeat-seconds", 15));
            Console.WriteLine();
        }

        if (files > 0)
        {
            await WorkspaceBenchmark.RunAsync(files, IntArg(args, "--runs", 20), IntArg(args, "--cold-runs", 5), StringArg(args, "--dir"), StringArg(args, "--git") ?? "git");
        }

        return 0;
    }

    private static async Task RoundTripAsync(int calls)
    {
        var folder = Directory.CreateTempSubdirectory("warden-bench-workers-").FullName;
        try
        {
            await using var host = await StartServerAsync(folder, null);
            using var client = new WardenClient(host.BaseAddress, host.AdminToken);
            await client.CreatePoolAsync("default", new CreatePoolRequest("bench"));
            var token = (await client.CreateJoinTokenAsync("default", "bench", new CreateJoinTokenRequest("bench"))).Secret;
            var orgId = (await client.GetOrgAsync("default")).Id;
            var runtime = new TrueRuntimeFactory();
            await using var worker = new WorkerHost(new WorkerOptions
            {
                Server = host.BaseAddress, JoinToken = token, Name = "bench", Capacity = 2, DataDirectory = Path.Combine(folder, "worker"),
            }, runtime);
            using var stop = new CancellationTokenSource();
            var run = Task.Run(() => worker.RunAsync(stop.Token));
            while (worker.Registrations == 0)
            {
                await Task.Delay(10);
            }

            var dispatcher = host.App.Services.GetRequiredService<IWorkerDispatcher>();
            await dispatcher.AssignAsync(orgId, "bench", new Dictionary<string, string>(), "bench-true", new WorkspaceRequest(), CancellationToken.None);
            await dispatcher.AssignAsync(orgId, "bench", new Dictionary<string, string>(), "bench-noop", new WorkspaceRequest(), CancellationToken.None);
            var args = System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["command"] = "true" });

            var direct = await MeasureAsync(calls, _ => TrueRuntimeFactory.RunTrueAsync());
            var viaWorker = await MeasureAsync(calls, i => dispatcher.ExecuteToolAsync("bench-true", new ToolCall($"t{i}", "true", args), _ => ValueTask.CompletedTask, CancellationToken.None));
            var noop = await MeasureAsync(calls, i => dispatcher.ExecuteToolAsync("bench-noop", new ToolCall($"n{i}", "noop", args), _ => ValueTask.CompletedTask, CancellationToken.None));

            Console.WriteLine("| tool call | p50 ms | p99 ms | mean ms |");
            Console.WriteLine("|---|---:|---:|---:|");
            Console.WriteLine(Row("`true` run directly (baseline)", direct));
            Console.WriteLine(Row("`true` server → worker → server", viaWorker));
            Console.WriteLine(Row("no-op server → worker → server (transport only)", noop));
            Console.WriteLine();
            Console.WriteLine($"overhead of the round trip: p50 {viaWorker.P50 - direct.P50:0.000} ms, p99 {viaWorker.P99 - direct.P99:0.000} ms; ratio p50 {viaWorker.P50 / direct.P50:0.00}, p99 {viaWorker.P99 / direct.P99:0.00}");
            Console.WriteLine($"transport alone (no-op runtime): p50 {noop.P50:0.000} ms, p99 {noop.P99:0.000} ms");
            await stop.CancelAsync();
            worker.AbortConnection();
            try
            {
                await run;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    private static async Task IdleWorkersAsync(int count, int heartbeatSeconds)
    {
        var folder = Directory.CreateTempSubdirectory("warden-bench-idle-").FullName;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(typeof(WorkerBenchmark).Assembly.Location);
        info.ArgumentList.Add("workers-server");
        info.ArgumentList.Add(folder);
        info.ArgumentList.Add(heartbeatSeconds.ToString(CultureInfo.InvariantCulture));
        // The same GC settings as the warden executable (workstation, concurrent), not the benchmark's server GC.
        info.Environment["DOTNET_gcServer"] = "0";
        using var server = Process.Start(info)!;
        try
        {
            var ready = (await server.StandardOutput.ReadLineAsync())!.Split(' ');
            var baseAddress = new Uri(ready[1]);
            using var client = new WardenClient(baseAddress, ready[2]);
            await client.CreatePoolAsync("default", new CreatePoolRequest("idle"));
            var token = (await client.CreateJoinTokenAsync("default", "idle", new CreateJoinTokenRequest("bench"))).Secret;
            var before = await StatsAsync(server);

            var sockets = new ProtocolSocket[count];
            var watch = Stopwatch.StartNew();
            var next = -1;
            var connectors = Enumerable.Range(0, 32).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    sockets[i] = await ConnectIdleAsync(baseAddress, token, i);
                }
            })).ToArray();
            await Task.WhenAll(connectors);
            var connectSeconds = watch.Elapsed.TotalSeconds;

            // Two heartbeat rounds from every worker, spread over the interval as a real fleet's would be.
            for (var round = 0; round < 2; round++)
            {
                var spread = TimeSpan.FromSeconds(heartbeatSeconds) / count;
                var roundWatch = Stopwatch.StartNew();
                for (var i = 0; i < count; i++)
                {
                    await sockets[i].SendAsync(new HeartbeatMessage { Running = 0, Load = 0.01 });
                    var due = spread * (i + 1);
                    if (roundWatch.Elapsed < due && i % 100 == 99)
                    {
                        await Task.Delay(due - roundWatch.Elapsed);
                    }
                }
            }

            var after = await StatsAsync(server);
            Console.WriteLine($"| idle workers | connected | connect + register time | server working set | server GC heap |");
            Console.WriteLine("|---|---:|---:|---:|---:|");
            Console.WriteLine($"| 0 (baseline) | {before.Connected:N0} | — | {Mb(before.WorkingSet)} | {Mb(before.Heap)} |");
            Console.WriteLine($"| {count:N0} | {after.Connected:N0} | {connectSeconds:0.0} s ({count / connectSeconds:N0}/s) | {Mb(after.WorkingSet)} | {Mb(after.Heap)} |");
            Console.WriteLine();
            Console.WriteLine($"per idle worker: working set {(after.WorkingSet - before.WorkingSet) / (double)count / 1024:0.0} KiB, GC heap {(after.Heap - before.Heap) / (double)count / 1024:0.0} KiB");
            foreach (var s in sockets)
            {
                s.Abort();
                s.Dispose();
            }
        }
        finally
        {
            await server.StandardInput.WriteLineAsync("quit");
            await server.WaitForExitAsync();
            Directory.Delete(folder, true);
        }
    }

    /// <summary>The child process: a server that answers "stats" on standard input.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var heartbeat = TimeSpan.FromSeconds(int.Parse(args[1], CultureInfo.InvariantCulture));
        await using var host = await StartServerAsync(args[0], heartbeat);
        Console.WriteLine($"ready {host.BaseAddress} {host.AdminToken}");
        var hub = host.App.Services.GetRequiredService<WorkerHub>();
        while (await Console.In.ReadLineAsync() is { } line && line != "quit")
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            using var self = Process.GetCurrentProcess();
            Console.WriteLine($"stats {self.WorkingSet64} {GC.GetTotalMemory(forceFullCollection: true)} {hub.ConnectedCount}");
        }

        return 0;
    }

    private static async Task<WardenServerHost> StartServerAsync(string folder, TimeSpan? heartbeat)
    {
        var options = new WardenServerOptions
        {
            DataDirectory = folder,
            Listen = "127.0.0.1:0",
            MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            Workers = heartbeat is { } h ? new WorkerServerOptions { HeartbeatInterval = h, HeartbeatTimeout = h * 4 } : new WorkerServerOptions(),
        };
        var host = await WardenServerHost.CreateAsync(options, logging: l => l.SetMinimumLevel(LogLevel.Error));
        await host.StartAsync();
        return host;
    }

    private static async Task<ProtocolSocket> ConnectIdleAsync(Uri server, string token, int i)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await socket.ConnectAsync(WorkerOptions.ConnectUri(server), CancellationToken.None);
        var protocol = new ProtocolSocket(socket);
        await protocol.SendAsync(new HelloMessage { Name = $"idle-{i}", SoftwareVersion = "bench", Capacity = 1, Labels = new Dictionary<string, string> { ["rack"] = (i % 16).ToString(CultureInfo.InvariantCulture) } });
        if (await protocol.ReceiveAsync() is not RegisteredMessage)
        {
            throw new InvalidOperationException($"Worker {i} was not registered.");
        }

        return protocol;
    }

    private static async Task<(long WorkingSet, long Heap, int Connected)> StatsAsync(Process server)
    {
        await server.StandardInput.WriteLineAsync("stats");
        var parts = (await server.StandardOutput.ReadLineAsync())!.Split(' ');
        return (long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture), int.Parse(parts[3], CultureInfo.InvariantCulture));
    }

    private static async Task<(double P50, double P99, double Mean)> MeasureAsync(int count, Func<int, Task> action)
    {
        for (var i = 0; i < Math.Min(200, count); i++)
        {
            await action(-i - 1);
        }

        var samples = new double[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await action(i);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        Array.Sort(samples);
        return (samples[(int)(count * 0.50)], samples[Math.Min(count - 1, (int)(count * 0.99))], samples.Average());
    }

    private static string Row(string name, (double P50, double P99, double Mean) m) => $"| {name} | {m.P50:0.000} | {m.P99:0.000} | {m.Mean:0.000} |";

    private static string Mb(long bytes) => $"{bytes / 1024.0 / 1024.0:N0} MiB";

    private static string? StringArg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>The benchmark's runtime: tool <c>true</c> runs <c>/bin/true</c> through a process; any other tool runs nothing.</summary>
    private sealed class TrueRuntimeFactory : ISessionRuntimeFactory, ISessionRuntime
    {
        public string Name => "true";

        public bool IsSandboxed => false;

        public static async Task<ToolResult> RunTrueAsync()
        {
            using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
            await process.WaitForExitAsync();
            return new ToolResult { Status = process.ExitCode == 0 ? ToolStatus.Ok : ToolStatus.Failed, ExitCode = process.ExitCode };
        }

        public ValueTask<ISessionRuntime> CreateAsync(SessionRuntimeContext context, CancellationToken cancellationToken) => ValueTask.FromResult<ISessionRuntime>(this);

        public Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken) =>
            call.Tool == "true" ? RunTrueAsync() : Task.FromResult(new ToolResult { Status = ToolStatus.Ok });

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
