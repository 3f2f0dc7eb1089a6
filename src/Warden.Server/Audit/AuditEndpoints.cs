using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Audit.Export;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Server.Auth;

namespace Warden.Server.Audit;

/// <summary>
/// <c>/api/v1/orgs/{org}/audit/...</c> (an org's trail) and <c>/api/v1/audit/...</c> (the whole ledger, for site
/// administrators): search, one event, follow live (Server-Sent Events), verify, export, public keys.
/// </summary>
public static class AuditEndpoints
{
    /// <summary>Maps the authenticated audit endpoints.</summary>
    public static void MapAuditApi(this RouteGroupBuilder api)
    {
        var org = api.MapGroup("/orgs/{org}/audit").WithTags("Audit");
        org.MapGet("/events", (string org, HttpContext ctx, AuditQueryStore store) => SearchAsync(org, ctx, store)).WithName("SearchOrgAudit");
        org.MapGet("/events/{seq:long}", async Task<Ok<AuditEventDto>> (string org, long seq, HttpContext ctx, AuditQueryStore store) =>
            TypedResults.Ok(AuditDto.From(await store.GetAsync(ctx.GetActor(), org, seq, ctx.RequestAborted)))).WithName("GetOrgAuditEvent");
        org.MapGet("/stream", (string org, HttpContext ctx, AuditQueryStore store, AuditLedger ledger) => StreamAsync(org, ctx, store, ledger)).WithName("StreamOrgAudit");
        MapRetention(org, site: false);

        var site = api.MapGroup("/audit").WithTags("Audit");
        site.MapGet("/events", (HttpContext ctx, AuditQueryStore store) => SearchAsync(null, ctx, store)).WithName("SearchAudit");
        site.MapGet("/stream", (HttpContext ctx, AuditQueryStore store, AuditLedger ledger) => StreamAsync(null, ctx, store, ledger)).WithName("StreamAudit");
        site.MapGet("/verify", async Task<Ok<AuditVerificationDto>> (HttpContext ctx, AuditLedger ledger) =>
        {
            RequireSiteAdmin(ctx);
            return TypedResults.Ok(AuditDto.From(await ledger.VerifyAsync(ctx.RequestAborted)));
        }).WithName("VerifyAudit");
        site.MapPost("/checkpoint", async Task<NoContent> (HttpContext ctx, AuditLedger ledger) =>
        {
            RequireSiteAdmin(ctx);
            await ledger.CheckpointAsync(ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("CheckpointAudit");
        MapRetention(site, site: true);
        site.MapPost("/retention/run", async Task<Ok<AuditRetentionRunDto>> (HttpContext ctx, AuditRetentionService retention, bool? dry_run) =>
            TypedResults.Ok(AuditDto.From(await retention.RunAsync(ctx.GetActor(), dry_run ?? false, ctx.RequestAborted)))).WithName("RunAuditRetention");
        site.MapGet("/export", async (HttpContext ctx, AuditLedger ledger, long? from, long? to) =>
        {
            RequireSiteAdmin(ctx);
            ctx.Response.ContentType = "application/x-ndjson";
            ctx.Response.Headers.ContentDisposition = "attachment; filename=\"warden-audit.jsonl\"";
            await AuditExporter.ExportAsync(ledger.Store, ctx.Response.Body, ledger.LedgerId, from ?? 1, to ?? long.MaxValue, cancellationToken: ctx.RequestAborted);
        }).WithName("ExportAudit");
    }

    /// <summary>
    /// Retention and legal holds, on an org (<c>/orgs/{org}/audit/...</c>) or on the site (<c>/audit/...</c>, site
    /// administrators): <c>GET|PUT retention</c>, <c>POST holds</c>, <c>POST holds/{id}/release</c>.
    /// </summary>
    private static void MapRetention(RouteGroupBuilder group, bool site)
    {
        var suffix = site ? "Site" : "Org";
        group.MapGet("/retention", async Task<Ok<AuditRetentionDto>> (HttpContext ctx, AuditRetentionStore store) =>
            TypedResults.Ok(AuditDto.From(await store.GetAsync(ctx.GetActor(), Scope(ctx, site), ctx.RequestAborted)))).WithName("GetAuditRetention" + suffix);
        group.MapPut("/retention", async Task<Ok<AuditRetentionDto>> (HttpContext ctx, AuditRetentionStore store, SetAuditRetentionRequest body) =>
            TypedResults.Ok(AuditDto.From(await store.SetAsync(ctx.GetActor(), Scope(ctx, site), body.Days, ctx.RequestAborted)))).WithName("SetAuditRetention" + suffix);
        group.MapPost("/holds", async Task<Created<LegalHoldDto>> (HttpContext ctx, AuditRetentionStore store, PlaceLegalHoldRequest body) =>
        {
            var hold = AuditDto.From(await store.PlaceHoldAsync(ctx.GetActor(), Scope(ctx, site), body.Reason, ctx.RequestAborted));
            return TypedResults.Created($"{ctx.Request.Path}/{hold.Id}", hold);
        }).WithName("PlaceLegalHold" + suffix);
        group.MapPost("/holds/{id}/release", async Task<Ok<LegalHoldDto>> (HttpContext ctx, AuditRetentionStore store, string id) =>
            TypedResults.Ok(AuditDto.From(await store.ReleaseHoldAsync(ctx.GetActor(), Scope(ctx, site), id, ctx.RequestAborted)))).WithName("ReleaseLegalHold" + suffix);

        static string Scope(HttpContext ctx, bool site) => site ? AuditDrafts.SiteOrg : (string)ctx.Request.RouteValues["org"]!;
    }

    /// <summary><c>GET /api/v1/audit/keys</c>: public, so anyone can verify an export offline.</summary>
    public static async Task<Ok<List<AuditKeyDto>>> ListKeysAsync(AuditLedger ledger, CancellationToken ct) =>
        TypedResults.Ok((await ledger.Keys.ListPublicAsync(ct)).Select(k => new AuditKeyDto(k.KeyId, k.PublicKeyPem, k.CreatedAt, k.RetiredAt)).ToList());

    /// <summary>Reads the query-string filters into a query.</summary>
    public static AuditQuery ParseQuery(IQueryCollection q)
    {
        return new AuditQuery
        {
            From = Time(q, "from"),
            To = Time(q, "to"),
            Actor = Text(q, "actor"),
            Action = Text(q, "action"),
            ResourceType = Text(q, "resource_type"),
            ResourceId = Text(q, "resource_id"),
            Session = Text(q, "session"),
            Vendor = Text(q, "vendor"),
            Outcome = Text(q, "outcome"),
            Before = Long(q, "before"),
            After = Long(q, "after"),
            Limit = (int?)Long(q, "limit") ?? 100,
        };

        static string? Text(IQueryCollection q, string name) => q.TryGetValue(name, out var v) && !string.IsNullOrEmpty(v) ? v.ToString() : null;

        static long? Long(IQueryCollection q, string name) =>
            Text(q, name) is { } s ? (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw WardenException.Invalid($"'{name}' must be an integer.")) : null;

        static DateTimeOffset? Time(IQueryCollection q, string name) =>
            Text(q, name) is { } s ? (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : throw WardenException.Invalid($"'{name}' must be an ISO 8601 time.")) : null;
    }

    private static async Task<Ok<AuditPageDto>> SearchAsync(string? org, HttpContext ctx, AuditQueryStore store)
    {
        var page = await store.SearchAsync(ctx.GetActor(), org, ParseQuery(ctx.Request.Query), ctx.RequestAborted);
        return TypedResults.Ok(new AuditPageDto(page.Events.Select(AuditDto.From).ToList(), page.NextCursor));
    }

    /// <summary>
    /// Server-Sent Events: every event after <c>after</c> (default: from now on), as <c>event: audit</c> with the event
    /// JSON, then new ones as they are written; a comment every 15 s keeps proxies from closing the stream.
    /// </summary>
    private static async Task StreamAsync(string? org, HttpContext ctx, AuditQueryStore store, AuditLedger ledger)
    {
        var actor = ctx.GetActor();
        var filters = ParseQuery(ctx.Request.Query);
        // Check access before the stream starts, so a refusal is an ordinary problem response.
        await store.SearchAsync(actor, org, filters with { After = null, Before = null, Limit = 1 }, ctx.RequestAborted);
        var cursor = filters.After ?? ledger.LastSequence;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        await ctx.Response.WriteAsync(": following\n\n", ctx.RequestAborted);
        await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        var json = WardenJsonContext.Default.AuditEventDto;
        try
        {
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                var wait = ledger.WaitForNewAsync(ctx.RequestAborted);
                var page = await store.SearchAsync(actor, org, filters with { After = cursor, Before = null, Limit = 200 }, ctx.RequestAborted);
                foreach (var e in page.Events)
                {
                    cursor = e.Sequence;
                    await ctx.Response.WriteAsync($"id: {e.Sequence}\nevent: audit\ndata: {JsonSerializer.Serialize(AuditDto.From(e), json)}\n\n", ctx.RequestAborted);
                }

                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                if (page.NextCursor is not null)
                {
                    continue;
                }

                if (await Task.WhenAny(wait, Task.Delay(TimeSpan.FromSeconds(15), ctx.RequestAborted)) != wait)
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private static void RequireSiteAdmin(HttpContext ctx)
    {
        if (!ctx.GetActor().IsSiteAdmin)
        {
            throw WardenException.Forbidden("Only site administrators may do this.");
        }
    }
}
