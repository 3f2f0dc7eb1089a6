using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Warden.Data;
using Warden.Server.Gateway;
using Warden.Server.Hosting;

namespace Warden.Benchmarks;

/// <summary>
/// The Warden server of the gateway benchmark (or its bare forwarder), run in a child process (<c>Warden.Benchmarks gateway-server</c>) so
/// that its memory is its own and its garbage collector is not the load generator's. It starts the normal server
/// (migrations, bootstrap, audit ledger, usage recorder) through <see cref="WardenServerHost"/>, the same path
/// <c>warden server</c> takes, and then answers the parent's commands on standard input, one line each, with lines
/// starting <c>@bench</c> on standard output (the server's own log lines are passed through by the parent).
/// </summary>
public static class GatewayServerChild
{
    /// <summary>The prefix of every protocol line on standard output.</summary>
    public const string Prefix = "@bench ";

    /// <summary>The server's native memory trimmer, for its counters in the memory reply (none in a bare forwarder).</summary>
    private static NativeMemoryTrimmer? s_trimmer;

    /// <summary>
    /// The gateway's overhead histogram (<see cref="ModelGateway.OverheadInstrument"/>): the measurements since the last
    /// reset, in a buffer allocated once at start. A growing queue here made the process's own peak memory 5–10 MB
    /// higher (large arrays for each scenario), which is the figure the benchmark is there to measure.
    /// </summary>
    private static readonly double[] s_overhead = new double[1 << 18];

    private static int s_overheadCount;

    /// <summary>
    /// Runs the server (or, with <c>--forwarder-only</c>, only a <see cref="BareForwarder"/>) until standard input
    /// closes or says <c>quit</c>.
    /// </summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var upstream = new Uri(Arg(args, "--upstream") ?? throw new ArgumentException("--upstream URL is required"));
        var upstreamKey = Arg(args, "--upstream-key") ?? string.Empty;
        if (args.Contains("--forwarder-only"))
        {
            await using var forwarder = await BareForwarder.StartAsync(upstream, upstreamKey);
            Reply($"ready {forwarder.BaseAddress} -");
            return await CommandsAsync(null, null);
        }

        var data = Arg(args, "--data") ?? throw new ArgumentException("--data DIR is required");
        var database = Arg(args, "--database");
        var options = new WardenServerOptions
        {
            Database = database ?? Path.Combine(data, "warden.db"),
            DataDirectory = data,
            Listen = "127.0.0.1:0",
            MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        await using var host = await WardenServerHost.CreateAsync(options, logging: l => l.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        s_trimmer = host.App.Services.GetRequiredService<NativeMemoryTrimmer>();
        var meters = host.App.Services.GetRequiredService<IMeterFactory>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Meter.Name == ModelGateway.MeterName && instrument.Name == ModelGateway.OverheadInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            var i = Interlocked.Increment(ref s_overheadCount) - 1;
            if (i < s_overhead.Length)
            {
                s_overhead[i] = value;
            }
        });
        listener.Start();
        Reply($"ready {host.BaseAddress} {host.AdminToken}");
        return await CommandsAsync(host.App.Services.GetRequiredService<UsageRecorder>(), host.App.Services.GetRequiredService<ConnectionFactory>());
    }

    private static async Task<int> CommandsAsync(UsageRecorder? recorder, ConnectionFactory? connections)
    {
        while (await Console.In.ReadLineAsync() is { } line)
        {
            switch (line.Trim())
            {
                case "mem":
                    Reply(Memory());
                    break;
                case "mem gc":
                    // A full blocking, compacting collection first, so the heap figure is what is alive.
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    GC.WaitForPendingFinalizers();
                    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                    Reply(Memory());
                    break;
                case "stats" or "pending" or "flush" when recorder is null || connections is null:
                    Reply("error not a Warden server");
                    break;
                case "stats":
                    await using (var c = await connections!.OpenAsync())
                    {
                        var usage = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage");
                        var audit = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke'");
                        Reply(string.Create(CultureInfo.InvariantCulture, $"stats usage={usage} audit={audit}"));
                    }

                    break;
                case "pending":
                    // The recorder's queue: the records of answered calls not yet written, and how often and how long
                    // calls waited for room in it (back-pressure when the writer is behind).
                    Reply(string.Create(CultureInfo.InvariantCulture,
                        $"pending count={recorder!.Pending} waits={recorder.FullWaits} waitus={(long)(recorder.FullWaitTicks * 1_000_000.0 / Stopwatch.Frequency)} capacity={recorder.Capacity} recorderwrites={recorder.Writes} dbcommits={connections!.WriteStats.Commits} dbwrites={connections.WriteStats.Writes}"));
                    break;
                case "flush":
                    var sw = Stopwatch.StartNew();
                    await recorder!.FlushAsync(CancellationToken.None);
                    Reply(string.Create(CultureInfo.InvariantCulture, $"flushed ms={sw.Elapsed.TotalMilliseconds:0}"));
                    break;
                case "overhead reset":
                    Volatile.Write(ref s_overheadCount, 0);
                    Reply("overhead reset");
                    break;
                case "overhead":
                    // Percentiles (nearest rank) of the gateway's own time per call since the reset, in nanoseconds;
                    // sorted where they lie (the next reset starts over), so reading them allocates nothing large.
                    var n = Math.Min(Volatile.Read(ref s_overheadCount), s_overhead.Length);
                    var values = s_overhead.AsSpan(0, n);
                    values.Sort();
                    long At(Span<double> v, double q) => v.Length == 0 ? -1 : (long)(v[GatewayLoad.NearestRank(v.Length, q)] * 1e9);
                    Reply(string.Create(CultureInfo.InvariantCulture, $"overhead n={n} p50={At(values, 0.50)} p90={At(values, 0.90)} p99={At(values, 0.99)}"));
                    break;
                case "quit":
                    return 0;
                default:
                    Reply("error unknown command");
                    break;
            }
        }

        return 0;
    }

    /// <summary>The process's memory, CPU time, GC and thread-pool figures, as a <c>mem name=value ...</c> reply.</summary>
    internal static string Memory()
    {
        var info = GC.GetGCMemoryInfo();
        using var self = Process.GetCurrentProcess();
        return string.Create(CultureInfo.InvariantCulture,
            $"mem heap={info.HeapSizeBytes} allocated={GC.GetTotalMemory(false)} churn={GC.GetTotalAllocatedBytes(false)} cpu={(long)self.TotalProcessorTime.TotalMicroseconds} committed={info.TotalCommittedBytes} ws={Environment.WorkingSet} peak={self.PeakWorkingSet64} {Status("RssAnon", "anon")} {Status("RssFile", "file")} {Status("RssShmem", "shmem")} mallocfree={NativeMemoryTrimmer.FreeBytes()} trims={s_trimmer?.Trims ?? -1} trimus={(long)(s_trimmer?.TrimTime.TotalMicroseconds ?? -1)} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} server={(GCSettings.IsServerGC ? 1 : 0)} threads={ThreadPool.ThreadCount} queued={ThreadPool.PendingWorkItemCount} minthreads={MinThreads()} jit={System.Runtime.JitInfo.GetCompiledMethodCount()} jitus={(long)System.Runtime.JitInfo.GetCompilationTime().TotalMicroseconds} gcpauseus={(long)GC.GetTotalPauseDuration().TotalMicroseconds}");
    }

    /// <summary>A field of /proc/self/status in bytes (private and file-backed resident memory), as name=value.</summary>
    private static string Status(string field, string name)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            var kb = line is null ? -1 : long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"{name}={(kb < 0 ? -1 : kb * 1024)}");
        }
        catch (IOException)
        {
            return name + "=-1";
        }
    }

    private static int MinThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out _);
        return workers;
    }

    /// <summary>Writes one protocol line for the parent.</summary>
    internal static void Reply(string text)
    {
        Console.Out.WriteLine(Prefix + text);
        Console.Out.Flush();
    }

    private static string? Arg(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
