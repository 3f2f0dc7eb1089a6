using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Protocol;
using Warden.Server.Hosting;
using Warden.Server.Workers;
using Warden.Testing;
using Warden.Worker;
using Warden.Worker.Runtime;

namespace Warden.IntegrationTests.Workers;

/// <summary>
/// A control plane with short worker timings on a fixed loopback port (so it can be restarted where workers expect it),
/// over a fresh database, plus helpers to start in-process workers against it.
/// </summary>
internal sealed class WorkerTestbed : IAsyncDisposable
{
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly List<(WorkerHost Host, CancellationTokenSource Stop, Task Run)> _workers = [];
    private readonly int _port;

    private WorkerTestbed(TestDatabase db, int port)
    {
        Db = db;
        _port = port;
    }

    public TestDatabase Db { get; }

    public FakeTime Time { get; } = new(DateTimeOffset.UtcNow);

    public WardenServerHost Host { get; private set; } = null!;

    public string AdminToken { get; private set; } = string.Empty;

    public Uri BaseAddress => new($"http://127.0.0.1:{_port}/");

    public WorkerHub Hub => Host.App.Services.GetRequiredService<WorkerHub>();

    public IWorkerDispatcher Dispatcher => Host.App.Services.GetRequiredService<IWorkerDispatcher>();

    public string OrgId { get; private set; } = string.Empty;

    /// <summary>Changes the server's options (applied at every start, restarts included).</summary>
    public Func<WardenServerOptions, WardenServerOptions>? Configure { get; private set; }

    public static async Task<WorkerTestbed> StartAsync(string engine = "sqlite", Func<WardenServerOptions, WardenServerOptions>? configure = null)
    {
        var testbed = new WorkerTestbed(await TestDatabase.CreateAsync(engine), FreePort()) { Configure = configure };
        await testbed.StartServerAsync();
        using var client = testbed.Client();
        testbed.OrgId = (await client.GetOrgAsync("default")).Id;
        return testbed;
    }

    public async Task StartServerAsync()
    {
        var options = new WardenServerOptions
        {
            Database = Db.Target.Dialect == SqlDialect.Sqlite ? Path.Combine(Db.Folder, "warden.db") : Db.Target.ConnectionString,
            DataDirectory = Db.Folder,
            Listen = $"127.0.0.1:{_port}",
            MasterKey = _masterKey,
            Workers = new WorkerServerOptions
            {
                HeartbeatInterval = TimeSpan.FromMilliseconds(200),
                HeartbeatTimeout = TimeSpan.FromSeconds(30),
                GracePeriod = TimeSpan.FromSeconds(60),
                // The tests sweep themselves after moving the fake clock; the background sweep stays out of the way.
                SweepInterval = TimeSpan.FromHours(1),
            },
        };
        options = Configure?.Invoke(options) ?? options;
        Host = await WardenServerHost.CreateAsync(options, Time, logging => logging.SetMinimumLevel(LogLevel.Warning));
        AdminToken = Host.AdminToken ?? AdminToken;
        await Host.StartAsync();
    }

    public async Task StopServerAsync() => await Host.DisposeAsync();

    public WardenClient Client(string? token = null) => new(BaseAddress, token ?? AdminToken);

    /// <summary>Creates a pool (if needed) and mints a join token for it.</summary>
    public async Task<string> JoinTokenAsync(string pool, IReadOnlyDictionary<string, string>? poolLabels = null)
    {
        using var client = Client();
        if (!(await client.ListPoolsAsync("default")).Any(p => p.Name == pool))
        {
            await client.CreatePoolAsync("default", new CreatePoolRequest(pool, null, poolLabels));
        }

        return (await client.CreateJoinTokenAsync("default", pool, new CreateJoinTokenRequest("test"))).Secret;
    }

    public WorkerOptions Options(string token, string name, int capacity = 2, IReadOnlyDictionary<string, string>? labels = null, string? pool = null) => new()
    {
        Server = BaseAddress,
        JoinToken = token,
        Name = name,
        Capacity = capacity,
        Labels = labels ?? new Dictionary<string, string>(),
        Pool = pool,
        DataDirectory = Path.Combine(Db.Folder, "workers", name + "-" + Guid.NewGuid().ToString("N")[..6]),
        ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>Starts a worker and waits until it has registered.</summary>
    public async Task<(WorkerHost Host, Task Run)> StartWorkerAsync(WorkerOptions options, ISessionRuntimeFactory? runtime = null)
    {
        var host = new WorkerHost(options, runtime ?? new ProcessSessionRuntimeFactory());
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => host.RunAsync(stop.Token));
        _workers.Add((host, stop, run));
        await Until(() => host.Registrations > 0 || run.IsCompleted, "the worker registers");
        if (run.IsFaulted)
        {
            await run;
        }

        return (host, run);
    }

    /// <summary>Kills a worker as a crash would: the connection drops without a goodbye and nothing reconnects.</summary>
    public async Task KillAsync(WorkerHost host)
    {
        var entry = _workers.Single(w => w.Host == host);
        // Abort first: a worker that is merely stopped says goodbye, a killed one does not.
        host.AbortConnection();
        await entry.Stop.CancelAsync();
        await IgnoreAsync(entry.Run);
    }

    public async Task<WorkerDto> WorkerAsync(string id)
    {
        using var client = Client();
        return (await client.GetWorkerAsync("default", id)).Worker;
    }

    public static ToolCall Shell(string callId, string command) =>
        new(callId, "shell", System.Text.Json.JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["command"] = command }));

    public static Task Until(Func<bool> condition, string what, int seconds = 30) => AuditIngest.Eventually.HoldsAsync(condition, what, seconds);

    public static Task Until(Func<Task<bool>> condition, string what, int seconds = 30) => AuditIngest.Eventually.HoldsAsync(condition, what, seconds);

    public async ValueTask DisposeAsync()
    {
        foreach (var (host, stop, run) in _workers)
        {
            host.AbortConnection();
            await stop.CancelAsync();
            await IgnoreAsync(run);
            await host.DisposeAsync();
        }

        try
        {
            await Host.DisposeAsync();
        }
        catch (ObjectDisposedException)
        {
            // Stopped by the test already.
        }

        await Db.DisposeAsync();
    }

    private static async Task IgnoreAsync(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is OperationCanceledException or WorkerRejectedException)
        {
            // Expected when a worker is stopped or refused.
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
