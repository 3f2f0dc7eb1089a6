using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Warden.Benchmarks;

/// <summary>
/// The floor under the gateway: a Kestrel server in the gateway's process that forwards each request's bytes to the
/// upstream with the provider's key and copies the answer back as it arrives (read, send, copy; no authentication,
/// routing, policy, accounting or audit). What the gateway adds beyond this is the cost of its own work; what this
/// adds beyond going direct is the cost of one more HTTP hop through a .NET process on this machine.
/// </summary>
public sealed class BareForwarder : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _http;

    private BareForwarder(WebApplication app, HttpMessageInvoker http)
    {
        _app = app;
        _http = http;
    }

    /// <summary>Where it listens.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Starts a forwarder to <paramref name="upstream"/> (a base URL ending in '/').</summary>
    public static async Task<BareForwarder> StartAsync(Uri upstream, string key)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(BareForwarder).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
        });
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, 0);
            k.AddServerHeader = false;
        });
        builder.Logging.ClearProviders();
        builder.Services.AddRoutingCore();
        var http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        });
        var app = builder.Build();
        var forwarder = new BareForwarder(app, http);
        var bearer = new AuthenticationHeaderValue("Bearer", key);
        app.Run(ctx => forwarder.ForwardAsync(ctx, upstream, bearer));
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        forwarder.BaseAddress = new Uri(address + "/");
        return forwarder;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    private async Task ForwardAsync(HttpContext ctx, Uri upstream, AuthenticationHeaderValue bearer)
    {
        using var body = new MemoryStream(ctx.Request.ContentLength is { } n and > 0 ? (int)n : 4096);
        await ctx.Request.Body.CopyToAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(upstream, ctx.Request.Path.Value!.TrimStart('/')))
        {
            Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = bearer;
        using var response = await _http.SendAsync(request, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Response.StatusCode = (int)response.StatusCode;
        ctx.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        if (response.Content.Headers.ContentLength is { } length)
        {
            ctx.Response.ContentLength = length;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ctx.RequestAborted).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
            {
                // Kestrel sends each write at once, so a stream's events pass through as they come.
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, read), ctx.RequestAborted).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
