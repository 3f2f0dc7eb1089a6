using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Server.Api;

namespace Warden.Server.Auth;

/// <summary>
/// Authenticates every request from one of two credentials: an API token (<c>Authorization: Bearer wdn_...</c>) or
/// the web session cookie. The cookie is honoured on the API only for safe methods, so a page on another site
/// cannot make a signed-in browser change anything (SameSite=Strict covers it too; this is the second lock).
/// </summary>
public sealed class WardenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenStore tokens,
    WebSessionStore sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "Warden";

    /// <summary>The web session cookie's name.</summary>
    public const string CookieName = "warden_session";

    private const string FailureKey = "warden.auth.failure";

    /// <inheritdoc />
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return Fail("Use 'Authorization: Bearer <token>'.");
            }

            var result = await tokens.AuthenticateAsync(header["Bearer ".Length..].Trim(), Context.RequestAborted).ConfigureAwait(false);
            return result.Actor is { } actor ? Success(actor) : Fail(result.Failure!);
        }

        if (Request.Cookies.TryGetValue(CookieName, out var cookie) && !string.IsNullOrEmpty(cookie))
        {
            if (IsApi(Request.Path) && !HttpMethods.IsGet(Request.Method) && !HttpMethods.IsHead(Request.Method))
            {
                return Fail("The API accepts the web session only for reading; use an API token to make changes.");
            }

            var actor = await sessions.AuthenticateAsync(cookie, Context.RequestAborted).ConfigureAwait(false);
            return actor is null ? Fail("Your web session has ended; sign in again.") : Success(actor);
        }

        return AuthenticateResult.NoResult();
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (IsApi(Request.Path))
        {
            var reason = Context.Items[FailureKey] as string ?? "Authentication is required: send 'Authorization: Bearer <token>'.";
            Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.WriteAsync(Context, WardenErrorKind.Unauthenticated, reason).ConfigureAwait(false);
            return;
        }

        var returnUrl = Request.PathBase + Request.Path + Request.QueryString;
        Response.Redirect("/login?returnUrl=" + Uri.EscapeDataString(returnUrl));
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, WardenErrorKind.Forbidden, "You may not do this.");

    /// <summary>API and machine paths answer 401 with problem+json; everything else is a page that redirects to sign-in.</summary>
    public static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/openapi") || path.StartsWithSegments("/v1");

    private AuthenticateResult Success(Actor actor)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, actor.UserId), new(ClaimTypes.Name, actor.Name) };
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        Context.Features.Set(actor);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private AuthenticateResult Fail(string reason)
    {
        Context.Items[FailureKey] = reason;
        return AuthenticateResult.Fail(reason);
    }
}
