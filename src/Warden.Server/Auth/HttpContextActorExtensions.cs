using Microsoft.AspNetCore.Http;
using Warden.Data;
using Warden.Data.Identity;

namespace Warden.Server.Auth;

/// <summary>Reads the authenticated <see cref="Actor"/> that <see cref="WardenAuthenticationHandler"/> attached to the request.</summary>
public static class HttpContextActorExtensions
{
    /// <summary>The actor, or null on an anonymous request.</summary>
    public static Actor? FindActor(this HttpContext context) => context.Features.Get<Actor>();

    /// <summary>The actor; throws 401 on an anonymous request (endpoints behind RequireAuthorization never see that).</summary>
    public static Actor GetActor(this HttpContext context) =>
        context.FindActor() ?? throw new WardenException(WardenErrorKind.Unauthenticated, "Authentication is required.");
}
