using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>A minimal OTLP/HTTP logs receiver on 127.0.0.1 port 0 that records every body and can refuse for a while.</summary>
internal sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _refusing;

    private FakeOtlpCollector(WebApplication app) => _app = app;

    /// <summary>Bodies accepted, in arrival order.</summary>
    public ConcurrentQueue<string> Accepted { get; } = new();

    /// <summary>Requests refused with 503.</summary>
    public int Refused;

    /// <summary>The logs URL.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>While true, answers 503 (a collector that is down).</summary>
    public bool Refusing
    {
        get => Volatile.Read(ref _refusing) != 0;
        set => Volatile.Write(ref _refusing, value ? 1 : 0);
    }

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var collector = new FakeOtlpCollector(app);
        app.MapPost("/v1/logs", async (HttpContext ctx) =>
        {
            if (collector.Refusing || ctx.Request.ContentType != "application/json")
            {
                Interlocked.Increment(ref collector.Refused);
                ctx.Response.StatusCode = 503;
                return;
            }

            using var reader = new StreamReader(ctx.Request.Body);
            collector.Accepted.Enqueue(await reader.ReadToEndAsync());
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("{}");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        collector.Endpoint = new Uri(address + "/v1/logs");
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
