using System.Diagnostics;
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
/// The Warden server of the gateway benchmark, run in a child process (<c>Warden.Benchmarks gateway-server</c>) so
/// that its memory is its own and its garbage collector is not the load generator's. It starts the normal server
/// (migrations, bootstrap, audit ledger, usage recorder) through <see cref="WardenServerHost"/>, the same path
/// <c>warden server</c> takes, and then answers the parent's commands on standard input, one line each, with lines
/// starting <c>@bench</c> on standard output (the server's own log lines are passed through by the parent).
/// </summary>
public static class GatewayServerChild
{
    /// <summary>The prefix of every protocol line on standard output.</summary>
    public const string Prefix = "@bench ";

    /// <summary>Runs the server until standard input closes or says <c>quit</c>.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
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
        var services = host.App.Services;
        var recorder = services.GetRequiredService<UsageRecorder>();
        var connections = services.GetRequiredService<ConnectionFactory>();
        Reply($"ready {host.BaseAddress} {host.AdminToken}");

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
                case "stats":
                    await using (var c = await connections.OpenAsync())
                    {
                        var usage = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage");
                        var audit = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke'");
                        Reply(string.Create(CultureInfo.InvariantCulture, $"stats usage={usage} audit={audit}"));
                    }

                    break;
                case "flush":
                    var sw = Stopwatch.StartNew();
                    await recorder.FlushAsync(CancellationToken.None);
                    Reply(string.Create(CultureInfo.InvariantCulture, $"flushed ms={sw.Elapsed.TotalMilliseconds:0}"));
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

    private static string Memory()
    {
        var info = GC.GetGCMemoryInfo();
        using var self = Process.GetCurrentProcess();
        return string.Create(CultureInfo.InvariantCulture,
            $"mem heap={info.HeapSizeBytes} allocated={GC.GetTotalMemory(false)} committed={info.TotalCommittedBytes} ws={Environment.WorkingSet} peak={self.PeakWorkingSet64} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} server={(GCSettings.IsServerGC ? 1 : 0)}");
    }

    private static void Reply(string text)
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
