using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Warden.Server.Components;

/// <summary>Maps the server-rendered pages and the stylesheet, which ships inside the assembly so one binary is the whole product.</summary>
public static class UiEndpoints
{
    private static readonly Lazy<byte[]> Css = new(() => Read("app.css"));
    private static readonly Lazy<byte[]> AuditJs = new(() => Read("audit.js"));
    private static readonly Lazy<byte[]> WorkersJs = new(() => Read("workers.js"));

    /// <summary>Maps <c>/assets/app.css</c> and every Razor page.</summary>
    public static void MapWardenUi(this WebApplication app)
    {
        app.MapGet("/assets/app.css", (HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(Css.Value, "text/css; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/assets/audit.js", (HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(AuditJs.Value, "text/javascript; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/assets/workers.js", (HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(WorkersJs.Value, "text/javascript; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapRazorComponents<App>();
    }

    private static byte[] Read(string name)
    {
        using var stream = typeof(UiEndpoints).Assembly.GetManifestResourceStream($"Warden.Server.Assets.{name}")
            ?? throw new InvalidOperationException($"Embedded asset {name} is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
