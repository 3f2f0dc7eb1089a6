using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Data.Workers;
using Warden.Server.Auth;

namespace Warden.Server.Workers;

/// <summary>
/// <c>/api/v1/orgs/{org}/pools</c> (pools and join tokens), <c>/api/v1/orgs/{org}/workers</c> (registry, drain, live
/// stream) and <c>/api/v1/workers/connect</c> (the worker WebSocket, authenticated by its join token).
/// </summary>
public static class WorkerEndpoints
{
    /// <summary>Maps the user-authenticated routes onto <paramref name="api"/>.</summary>
    public static void MapWorkerApi(this RouteGroupBuilder api)
    {
        var pools = api.MapGroup("/orgs/{org}/pools").WithTags("Workers");
        pools.MapPost("/", async Task<Created<PoolDto>> (string org, CreatePoolRequest body, HttpContext ctx, WorkerPoolStore store, WorkerHub hub) =>
        {
            var pool = await store.CreateAsync(ctx.GetActor(), org, body.Name, body.Description, body.Labels, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{org}/pools/{pool.Name}", WorkerViews.From(pool, []));
        }).WithName("CreatePool");
        pools.MapGet("/", async Task<Ok<List<PoolDto>>> (string org, HttpContext ctx, WorkerPoolStore store, WorkerHub hub) =>
        {
            var list = await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted);
            var live = list.Count == 0 ? [] : hub.Snapshot(list[0].OrgId);
            return TypedResults.Ok(list.Select(p => WorkerViews.From(p, live)).ToList());
        }).WithName("ListPools");
        pools.MapGet("/{pool}", async Task<Ok<PoolDto>> (string org, string pool, HttpContext ctx, WorkerPoolStore store, WorkerHub hub) =>
        {
            var p = await store.GetAsync(ctx.GetActor(), org, pool, ctx.RequestAborted);
            return TypedResults.Ok(WorkerViews.From(p, hub.Snapshot(p.OrgId)));
        }).WithName("GetPool");
        pools.MapDelete("/{pool}", async Task<NoContent> (string org, string pool, HttpContext ctx, WorkerPoolStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, pool, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeletePool");
        pools.MapPost("/{pool}/tokens", async Task<Created<CreatedJoinTokenDto>> (string org, string pool, CreateJoinTokenRequest body, HttpContext ctx, WorkerPoolStore store, TimeProvider time) =>
        {
            if (body.ExpiresInDays is < 1)
            {
                throw WardenException.Invalid("expiresInDays must be at least 1.");
            }

            var now = time.GetUtcNow();
            var created = await store.CreateTokenAsync(ctx.GetActor(), org, pool, body.Name, body.ExpiresInDays is { } d ? now.AddDays(d) : null, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{org}/pools/{pool}/tokens/{created.Token.Id}", new CreatedJoinTokenDto(WorkerViews.From(created.Token, now), created.Secret));
        }).WithName("CreateJoinToken");
        pools.MapGet("/{pool}/tokens", async Task<Ok<List<JoinTokenDto>>> (string org, string pool, HttpContext ctx, WorkerPoolStore store, TimeProvider time) =>
            TypedResults.Ok((await store.ListTokensAsync(ctx.GetActor(), org, pool, ctx.RequestAborted)).Select(t => WorkerViews.From(t, time.GetUtcNow())).ToList()))
            .WithName("ListJoinTokens");
        pools.MapDelete("/{pool}/tokens/{id}", async Task<NoContent> (string org, string pool, string id, HttpContext ctx, WorkerPoolStore store, WorkerHub hub) =>
        {
            var token = await store.RevokeTokenAsync(ctx.GetActor(), org, pool, id, ctx.RequestAborted);
            await hub.DisconnectTokenAsync(token.Id, "its join token was revoked");
            return TypedResults.NoContent();
        }).WithName("RevokeJoinToken");

        var workers = api.MapGroup("/orgs/{org}/workers").WithTags("Workers");
        workers.MapGet("/", async Task<Ok<List<WorkerDto>>> (string org, string? pool, HttpContext ctx, WorkerStore store, WorkerHub hub) =>
            TypedResults.Ok(await ListAsync(ctx.GetActor(), org, pool, store, hub, ctx.RequestAborted))).WithName("ListWorkers");
        workers.MapGet("/stream", StreamAsync).WithName("StreamWorkers");
        workers.MapGet("/{id}", async Task<Ok<WorkerDetailDto>> (string org, string id, HttpContext ctx, WorkerStore store, WorkerHub hub) =>
        {
            var actor = ctx.GetActor();
            var record = await store.GetAsync(actor, org, id, ctx.RequestAborted);
            var sessions = await store.ListSessionsAsync(actor, org, id, 50, ctx.RequestAborted);
            return TypedResults.Ok(new WorkerDetailDto(WorkerViews.From(record, hub.Find(id)), sessions.Select(WorkerViews.From).ToList()));
        }).WithName("GetWorker");
        workers.MapPost("/{id}/drain", async Task<Accepted<WorkerDto>> (string org, string id, HttpContext ctx, WorkerStore store, WorkerHub hub) =>
        {
            var actor = ctx.GetActor();
            var record = await store.RequestDrainAsync(actor, org, id, ctx.RequestAborted);
            await hub.DrainAsync(id, $"requested by {actor.Name}");
            return TypedResults.Accepted($"/api/v1/orgs/{org}/workers/{id}", WorkerViews.From(record, hub.Find(id)));
        }).WithName("DrainWorker");
    }

    /// <summary>Maps <c>GET /api/v1/workers/connect</c> outside the user-authenticated group: it checks its own join token.</summary>
    public static void MapWorkerConnect(this RouteGroupBuilder api)
    {
        api.MapGet("/workers/connect", (HttpContext ctx, WorkerGateway gateway) => gateway.HandleAsync(ctx))
            .AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>The org's workers, stored facts merged with the live view.</summary>
    public static async Task<List<WorkerDto>> ListAsync(Actor actor, string org, string? pool, WorkerStore store, WorkerHub hub, CancellationToken cancellationToken)
    {
        var records = await store.ListAsync(actor, org, pool, cancellationToken);
        return records.Select(r => WorkerViews.From(r, hub.Find(r.Id))).ToList();
    }

    /// <summary>
    /// Server-Sent Events for the workers page: the whole list as <c>event: workers</c> at once, on every change, and at
    /// least every 5 s (heartbeats and load move without a state change).
    /// </summary>
    private static async Task StreamAsync(string org, HttpContext ctx, WorkerStore store, WorkerHub hub)
    {
        var actor = ctx.GetActor();
        // Checked before the stream starts, so a refusal is an ordinary problem response.
        var first = await ListAsync(actor, org, null, store, hub, ctx.RequestAborted);
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var json = WardenJsonContext.Default.IReadOnlyListWorkerDto;
        try
        {
            IReadOnlyList<WorkerDto> list = first;
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                var changed = hub.WaitForChangeAsync(ctx.RequestAborted);
                await ctx.Response.WriteAsync($"event: workers\ndata: {JsonSerializer.Serialize(list, json)}\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(5), ctx.RequestAborted));
                list = await ListAsync(actor, org, null, store, hub, ctx.RequestAborted);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The browser went away.
        }
    }
}
