using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Warden.Models;

namespace Warden.Server.Gateway;

/// <summary>
/// The wire-compatible endpoints tools point their base URL at: OpenAI-style <c>/v1/chat/completions</c>,
/// <c>/v1/responses</c>, <c>/v1/embeddings</c>, <c>/v1/models</c> and Anthropic-style <c>/v1/messages</c>. They
/// authenticate with virtual keys, not Warden sessions or API tokens, and answer errors in the caller's format.
/// </summary>
public static class GatewayEndpoints
{
    /// <summary>
    /// Maps the gateway endpoints at the root (so a base URL of <c>https://warden/v1</c> works). They are
    /// short-circuited: routing runs them at once, without the authentication, authorisation and antiforgery
    /// middleware that follow it, because they authenticate virtual keys themselves and take no cookies or forms, and
    /// that middleware was a measurable part of the gateway's added latency. The exception handler and status pages,
    /// which come before routing, still apply.
    /// </summary>
    public static void MapModelGateway(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.AllowAnonymous().ExcludeFromDescription().ShortCircuit();
        v1.MapPost("/chat/completions", (HttpContext ctx) => Gateway(ctx).HandleAsync(ctx, WireFormat.OpenAIChat));
        v1.MapPost("/responses", (HttpContext ctx) => Gateway(ctx).HandleAsync(ctx, WireFormat.OpenAIResponses));
        v1.MapPost("/embeddings", (HttpContext ctx) => Gateway(ctx).HandleAsync(ctx, WireFormat.OpenAIEmbeddings));
        v1.MapPost("/messages", (HttpContext ctx) => Gateway(ctx).HandleAsync(ctx, WireFormat.AnthropicMessages));
        v1.MapGet("/models", (HttpContext ctx) => Gateway(ctx).ListModelsAsync(ctx));
    }

    private static ModelGateway Gateway(HttpContext ctx) => ctx.RequestServices.GetRequiredService<ModelGateway>();
}
