using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Server.Auth;

namespace Warden.Server.Gateway;

/// <summary><c>/api/v1/orgs/{org}/models/...</c>: providers, routes, prices, virtual keys and usage of the model gateway.</summary>
public static class GatewayAdminEndpoints
{
    /// <summary>Maps the gateway's management endpoints onto <paramref name="api"/> (already behind authentication).</summary>
    public static void MapGatewayAdminApi(this RouteGroupBuilder api)
    {
        var models = api.MapGroup("/orgs/{org}/models").WithTags("Models");

        models.MapGet("/providers", async Task<Ok<List<ModelProviderDto>>> (string org, HttpContext ctx, ModelProviderStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListModelProviders");
        models.MapGet("/providers/{name}", async Task<Ok<ModelProviderDto>> (string org, string name, HttpContext ctx, ModelProviderStore store) =>
            TypedResults.Ok(ToDto(await store.GetAsync(ctx.GetActor(), org, name, ctx.RequestAborted)))).WithName("GetModelProvider");
        models.MapPut("/providers/{name}", async Task<Ok<ModelProviderDto>> (string org, string name, PutModelProviderRequest body, HttpContext ctx, ModelProviderStore store) =>
            TypedResults.Ok(ToDto(await store.PutAsync(ctx.GetActor(), org, new ProviderSpec(name, body.Kind, body.BaseUrl, body.ApiVersion, body.Region, body.Credential), ctx.RequestAborted))))
            .WithName("PutModelProvider");
        models.MapDelete("/providers/{name}", async Task<NoContent> (string org, string name, HttpContext ctx, ModelProviderStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, name, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteModelProvider");

        models.MapGet("/routes", async Task<Ok<List<ModelRouteDto>>> (string org, HttpContext ctx, ModelRouteStore store, OrgStore orgs, TargetHealth health) =>
        {
            var actor = ctx.GetActor();
            var orgId = (await orgs.GetAsync(actor, org, ctx.RequestAborted)).Id;
            return TypedResults.Ok((await store.ListAsync(actor, org, ctx.RequestAborted)).Select(r => ToDto(r, orgId, health)).ToList());
        }).WithName("ListModelRoutes");
        models.MapGet("/routes/{**name}", async Task<Ok<ModelRouteDto>> (string org, string name, HttpContext ctx, ModelRouteStore store, OrgStore orgs, TargetHealth health) =>
        {
            var actor = ctx.GetActor();
            var orgId = (await orgs.GetAsync(actor, org, ctx.RequestAborted)).Id;
            return TypedResults.Ok(ToDto(await store.GetAsync(actor, org, name, ctx.RequestAborted), orgId, health));
        }).WithName("GetModelRoute");
        models.MapPut("/routes/{**name}", async Task<Ok<ModelRouteDto>> (string org, string name, PutModelRouteRequest body, HttpContext ctx, ModelRouteStore store) =>
        {
            var spec = new RouteSpec(name, (body.Targets ?? []).Select(ToTarget).ToList(), body.Fallbacks?.Select(ToTarget).ToList(), body.TimeoutMs, body.Retries);
            return TypedResults.Ok(ToDto(await store.PutAsync(ctx.GetActor(), org, spec, ctx.RequestAborted), null, null));
        }).WithName("PutModelRoute");
        models.MapDelete("/routes/{**name}", async Task<NoContent> (string org, string name, HttpContext ctx, ModelRouteStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, name, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteModelRoute");

        models.MapGet("/prices", async Task<Ok<List<ModelPriceDto>>> (string org, HttpContext ctx, ModelPriceStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListModelPrices");
        models.MapPost("/prices", async Task<Ok<ModelPriceDto>> (string org, PutModelPriceRequest body, HttpContext ctx, ModelPriceStore store) =>
            TypedResults.Ok(ToDto(await store.SetAsync(ctx.GetActor(), org, body.Model, body.InputPerMTok, body.OutputPerMTok, body.CachedInputPerMTok, ctx.RequestAborted))))
            .WithName("SetModelPrice");
        models.MapDelete("/prices", async Task<NoContent> (string org, string model, HttpContext ctx, ModelPriceStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, model, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteModelPrice");

        models.MapGet("/keys", async Task<Ok<List<VirtualKeyDto>>> (string org, HttpContext ctx, VirtualKeyStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(k => ToDto(k)).ToList())).WithName("ListVirtualKeys");
        models.MapGet("/keys/{key}", async Task<Ok<VirtualKeyDto>> (string org, string key, HttpContext ctx, VirtualKeyStore store, ModelUsageStore usage) =>
        {
            var k = await store.GetAsync(ctx.GetActor(), org, key, ctx.RequestAborted);
            var since = k.BudgetPeriod == "monthly" ? new DateTimeOffset(DateTimeOffset.UtcNow.Year, DateTimeOffset.UtcNow.Month, 1, 0, 0, 0, TimeSpan.Zero) : (DateTimeOffset?)null;
            return TypedResults.Ok(ToDto(k, await usage.SpentMicrosAsync(k.Id, since, ctx.RequestAborted) / 1_000_000m));
        }).WithName("GetVirtualKey");
        models.MapPost("/keys", async Task<Created<CreatedVirtualKeyDto>> (string org, CreateVirtualKeyRequest body, HttpContext ctx, VirtualKeyStore store) =>
        {
            var created = await store.CreateAsync(ctx.GetActor(), org, new VirtualKeySpec(body.Name, body.OwnerKind ?? "user", body.Owner, body.AllowedModels,
                body.Rpm, body.Tpm, body.MaxConcurrency, body.BudgetUsd, body.BudgetPeriod, body.Capture, body.CaptureDays, body.Inspection, body.ExpiresAt), ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{Uri.EscapeDataString(org)}/models/keys/{created.Key.Id}", new CreatedVirtualKeyDto(ToDto(created.Key), created.Secret));
        }).WithName("CreateVirtualKey");
        models.MapDelete("/keys/{key}", async Task<Ok<VirtualKeyDto>> (string org, string key, HttpContext ctx, VirtualKeyStore store) =>
            TypedResults.Ok(ToDto(await store.RevokeAsync(ctx.GetActor(), org, key, ctx.RequestAborted)))).WithName("RevokeVirtualKey");

        models.MapGet("/usage", async Task<Ok<List<UsageTotalDto>>> (string org, string? groupBy, DateTimeOffset? from, DateTimeOffset? to, HttpContext ctx, ModelUsageStore store, TimeProvider time) =>
        {
            var end = to ?? time.GetUtcNow().AddSeconds(1);
            var start = from ?? end.AddDays(-30);
            var totals = await store.SummaryAsync(ctx.GetActor(), org, groupBy ?? "key", start, end, ctx.RequestAborted);
            return TypedResults.Ok(totals.Select(t => new UsageTotalDto(t.Group, t.Label, t.Requests, t.Errors, t.InputTokens, t.OutputTokens, t.CostUsd)).ToList());
        }).WithName("GetModelUsage");
        models.MapGet("/calls", async Task<Ok<List<ModelCallDto>>> (string org, string? key, int? limit, HttpContext ctx, ModelUsageStore store) =>
            TypedResults.Ok((await store.RecentAsync(ctx.GetActor(), org, key, limit ?? 50, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListModelCalls");
        models.MapGet("/calls/{id}/capture", async Task<Ok<ModelCaptureDto>> (string org, string id, HttpContext ctx, ModelUsageStore store) =>
        {
            var c = await store.GetCaptureAsync(ctx.GetActor(), org, id, ctx.RequestAborted);
            return TypedResults.Ok(new ModelCaptureDto(c.UsageId, c.Request, c.Response, c.At, c.ExpiresAt));
        }).WithName("GetModelCallCapture");
    }

    /// <summary>The API form of a provider.</summary>
    public static ModelProviderDto ToDto(ModelProvider p) => new(p.Name, p.Kind, p.BaseUrl, p.ApiVersion, p.Region, p.HasCredential, p.CreatedBy, p.CreatedAt, p.UpdatedAt);

    /// <summary>The API form of a route, with live target health when <paramref name="health"/> is given.</summary>
    public static ModelRouteDto ToDto(ModelRoute r, string? orgId, TargetHealth? health) => new(r.Name,
        r.Targets.Select(ToDto).ToList(), r.Fallbacks.Select(ToDto).ToList(), r.TimeoutMs, r.Retries, r.CreatedBy, r.UpdatedAt,
        health is null || orgId is null ? null : r.Targets.Concat(r.Fallbacks).Distinct().Select(t =>
        {
            var (state, failures, until, error) = health.Describe(orgId, t.Provider, t.Model);
            return new TargetHealthDto(t.Provider, t.Model, state, failures, until, error);
        }).ToList());

    /// <summary>The API form of a price.</summary>
    public static ModelPriceDto ToDto(ModelPrice p) => new(p.Model, p.InputPerMTok, p.OutputPerMTok, p.CachedInputPerMTok, p.IsDefault);

    /// <summary>The API form of a key.</summary>
    public static VirtualKeyDto ToDto(VirtualKey k, decimal? spent = null) => new(k.Id, k.Name, k.Prefix, k.OwnerKind, k.OwnerName, k.AllowedModels,
        k.Rpm, k.Tpm, k.MaxConcurrency, k.BudgetUsd, k.BudgetPeriod, k.Capture, k.CaptureDays, k.Inspection, k.ExpiresAt, k.RevokedAt, k.CreatedBy, k.CreatedAt, k.LastUsedAt, spent);

    /// <summary>The API form of a call.</summary>
    public static ModelCallDto ToDto(ModelUsageRecord u) => new(u.Id, u.KeyId, u.Route, u.Provider, u.Model, u.Client, u.Status, u.Outcome,
        u.InputTokens, u.OutputTokens, u.CachedTokens, u.CostMicros / 1_000_000m, u.LatencyMs, u.Streamed, u.At);

    private static RouteTargetDto ToDto(RouteTarget t) => new(t.Provider, t.Model, t.Weight);

    private static RouteTarget ToTarget(RouteTargetDto t) => new(t.Provider, t.Model, t.Weight);
}
