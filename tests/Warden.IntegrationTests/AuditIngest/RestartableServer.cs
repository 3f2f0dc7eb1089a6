using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Data;
using Warden.Server.Hosting;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>A control plane that can be stopped and started again over the same database and master key.</summary>
internal sealed class RestartableServer : IAsyncDisposable
{
    private readonly string _masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private readonly FakeTime _time = new(DateTimeOffset.UtcNow);

    private RestartableServer(TestDatabase db) => Db = db;

    public TestDatabase Db { get; }

    public WardenServerHost? Host { get; private set; }

    public string AdminToken { get; private set; } = string.Empty;

    public static async Task<RestartableServer> CreateAsync(string engine) => new(await TestDatabase.CreateAsync(engine));

    public async Task StartAsync(IReadOnlyList<Warden.Server.Audit.AuditExporterOptions> exporters)
    {
        var options = new WardenServerOptions
        {
            Database = Db.Target.Dialect == SqlDialect.Sqlite ? Path.Combine(Db.Folder, "warden.db") : Db.Target.ConnectionString,
            DataDirectory = Db.Folder,
            Listen = "127.0.0.1:0",
            MasterKey = _masterKey,
            AuditExporters = exporters,
        };
        Host = await WardenServerHost.CreateAsync(options, _time, logging => logging.SetMinimumLevel(LogLevel.Warning));
        AdminToken = Host.AdminToken ?? AdminToken;
        await Host.StartAsync();
    }

    public async Task StopAsync()
    {
        if (Host is { } host)
        {
            Host = null;
            await host.DisposeAsync();
        }
    }

    public WardenClient Client() => new(Host!.BaseAddress, AdminToken);

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await Db.DisposeAsync();
    }
}
