using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Data;
using Warden.Server.Hosting;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>The real control plane on a free loopback port over a fresh database of either engine.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(TestDatabase db, WardenServerHost host, FakeTime time)
    {
        Db = db;
        Host = host;
        Time = time;
    }

    /// <summary>The database behind the server.</summary>
    public TestDatabase Db { get; }

    /// <summary>The running host.</summary>
    public WardenServerHost Host { get; }

    /// <summary>The server's clock.</summary>
    public FakeTime Time { get; }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => Host.BaseAddress;

    /// <summary>The first-start admin token.</summary>
    public string AdminToken => Host.AdminToken!;

    /// <summary>Starts a server on <paramref name="engine"/> ("sqlite" or "postgres").</summary>
    public static async Task<TestServer> StartAsync(string engine, Func<WardenServerOptions, WardenServerOptions>? configure = null)
    {
        var db = await TestDatabase.CreateAsync(engine);
        var time = new FakeTime(DateTimeOffset.UtcNow);
        var options = new WardenServerOptions
        {
            Database = db.Target.Dialect == SqlDialect.Sqlite ? Path.Combine(db.Folder, "warden.db") : db.Target.ConnectionString,
            DataDirectory = db.Folder,
            Listen = "127.0.0.1:0",
            MasterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        options = configure?.Invoke(options) ?? options;
        var host = await WardenServerHost.CreateAsync(options, time, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return new TestServer(db, host, time);
    }

    /// <summary>A typed client with <paramref name="token"/> (the admin's when null).</summary>
    public WardenClient Client(string? token = null) => new(BaseAddress, token ?? AdminToken);

    /// <summary>A raw HTTP client without credentials.</summary>
    public HttpClient Http(string? token = null)
    {
        var http = new HttpClient { BaseAddress = BaseAddress };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return http;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Db.DisposeAsync();
    }
}
