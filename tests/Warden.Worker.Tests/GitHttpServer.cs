using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Warden.Worker.Tests;

/// <summary>
/// A tiny Git smart-HTTP server: Kestrel in front of <c>git http-backend</c> (CGI), answering 401 unless the request
/// carries exactly the expected <c>Authorization</c> header, as a Git host does for a private repository.
/// </summary>
internal sealed class GitHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _authorized;
    private int _refused;

    private GitHttpServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public int Authorized => _authorized;

    public int Refused => _refused;

    public static async Task<GitHttpServer> StartAsync(string projectRoot, string expectedAuthorization)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new GitHttpServer(app);
        app.Run(ctx => server.ServeAsync(ctx, projectRoot, expectedAuthorization));
        await app.StartAsync();
        server.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return server;
    }

    private async Task ServeAsync(HttpContext ctx, string projectRoot, string expected)
    {
        if (ctx.Request.Headers.Authorization.ToString() != expected)
        {
            Interlocked.Increment(ref _refused);
            ctx.Response.StatusCode = 401;
            ctx.Response.Headers.WWWAuthenticate = "Basic realm=\"git\"";
            return;
        }

        Interlocked.Increment(ref _authorized);
        var info = new ProcessStartInfo("git") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("http-backend");
        info.Environment["GIT_PROJECT_ROOT"] = projectRoot;
        info.Environment["GIT_HTTP_EXPORT_ALL"] = "1";
        info.Environment["PATH_INFO"] = ctx.Request.Path.Value;
        info.Environment["QUERY_STRING"] = ctx.Request.QueryString.Value?.TrimStart('?') ?? string.Empty;
        info.Environment["REQUEST_METHOD"] = ctx.Request.Method;
        info.Environment["CONTENT_TYPE"] = ctx.Request.ContentType ?? string.Empty;
        info.Environment["REMOTE_USER"] = "tester";
        info.Environment["REMOTE_ADDR"] = "127.0.0.1";
        if (ctx.Request.Headers.ContentEncoding.ToString() is { Length: > 0 } encoding)
        {
            info.Environment["HTTP_CONTENT_ENCODING"] = encoding;
        }

        if (ctx.Request.Headers["Git-Protocol"].ToString() is { Length: > 0 } protocol)
        {
            info.Environment["GIT_PROTOCOL"] = protocol;
        }

        using var process = Process.Start(info)!;
        var copyIn = Task.Run(async () =>
        {
            await ctx.Request.Body.CopyToAsync(process.StandardInput.BaseStream);
            process.StandardInput.Close();
        });
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.BaseStream;
        // CGI: header lines up to an empty line, then the body.
        var header = new List<byte>();
        while (true)
        {
            var b = output.ReadByte();
            if (b < 0)
            {
                break;
            }

            header.Add((byte)b);
            var n = header.Count;
            if ((n >= 2 && header[n - 1] == '\n' && header[n - 2] == '\n') || (n >= 4 && header[n - 1] == '\n' && header[n - 2] == '\r' && header[n - 3] == '\n'))
            {
                break;
            }
        }

        foreach (var line in System.Text.Encoding.ASCII.GetString(header.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("Status", StringComparison.OrdinalIgnoreCase))
            {
                ctx.Response.StatusCode = int.Parse(value.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                ctx.Response.Headers[name] = value;
            }
        }

        await output.CopyToAsync(ctx.Response.Body);
        await copyIn;
        await stderr;
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
