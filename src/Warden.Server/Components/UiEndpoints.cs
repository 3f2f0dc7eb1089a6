using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Data.Identity;
using Warden.Data.Sessions;
using Warden.Server.Auth;
using Warden.Server.Components.Shared;

namespace Warden.Server.Components;

/// <summary>Maps the server-rendered pages and the stylesheet, which ships inside the assembly so one binary is the whole product.</summary>
public static class UiEndpoints
{
    private static readonly Lazy<byte[]> Css = new(() => Read("app.css"));
    private static readonly Lazy<byte[]> AuditJs = new(() => Read("audit.js"));
    private static readonly Lazy<byte[]> WorkersJs = new(() => Read("workers.js"));
    private static readonly Lazy<byte[]> SessionJs = new(() => Read("session.js"));

    /// <summary>Maps the stylesheet and scripts under <c>/assets</c>, the session page's live parts, and every Razor page.</summary>
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
        app.MapGet("/assets/session.js", (HttpContext ctx) =>
        {
            ctx.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(SessionJs.Value, "text/javascript; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/o/{org}/sessions/{id}/live", SessionLiveAsync).RequireAuthorization().ExcludeFromDescription();
        app.MapRazorComponents<App>();
    }

    /// <summary>
    /// The changing parts of a session page (header, entries after <paramref name="after"/>, approvals) as HTML, for the
    /// page's script to swap in when the session's event stream reports a change. The stores check the actor as for the page.
    /// Declared as <see cref="IResult"/>: the request delegate generator cannot see the types Razor generates.
    /// </summary>
    private static async Task<IResult> SessionLiveAsync(string org, string id, long? after, HttpContext ctx, AgentSessionStore store, OrgStore orgs)
    {
        var actor = ctx.GetActor();
        var entries = await store.EventsAsync(actor, org, id, after ?? 0, SessionLiveView.MaxEntries, ctx.RequestAborted);
        var approvals = await store.ApprovalsAsync(actor, org, id, ctx.RequestAborted);
        var session = await store.GetAsync(actor, org, id, ctx.RequestAborted);
        var role = (await orgs.GetAsync(actor, org, ctx.RequestAborted)).Role;
        ctx.Response.Headers.CacheControl = "no-store";
        return new RazorComponentResult<SessionLiveView>(new Dictionary<string, object?>
        {
            [nameof(SessionLiveView.Session)] = session,
            [nameof(SessionLiveView.Entries)] = entries,
            [nameof(SessionLiveView.Approvals)] = approvals,
            [nameof(SessionLiveView.CanDecide)] = role.CanManage() && !SessionStates.IsFinal(session.State),
            [nameof(SessionLiveView.PageUrl)] = $"/o/{Uri.EscapeDataString(org)}/sessions/{Uri.EscapeDataString(id)}",
        });
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
