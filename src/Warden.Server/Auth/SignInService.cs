using Microsoft.AspNetCore.Http;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Data.Audit;
using AuditOutcome = Warden.Audit.AuditOutcome;

namespace Warden.Server.Auth;

/// <summary>Password and token sign-in for the web UI: checks the throttle, the credential, then sets the session cookie.</summary>
public sealed class SignInService(UserStore users, TokenStore tokens, WebSessionStore sessions, LoginThrottle throttle, IAuditRecorder audit)
{
    /// <summary>Signs in with a user name and password, or throws 401/429 with a message for the person.</summary>
    public async Task<Actor> SignInWithPasswordAsync(HttpContext context, string? userName, string? password)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password))
        {
            throw WardenException.Invalid("Enter a user name and a password.");
        }

        var key = LoginThrottle.Key(userName.Trim(), context.Connection.RemoteIpAddress?.ToString());
        RequireNotThrottled(key);
        var actor = await users.VerifyPasswordAsync(userName.Trim(), password, context.RequestAborted).ConfigureAwait(false);
        if (actor is null)
        {
            throttle.Failed(key);
            await RecordAsync(context, new Actor(ActorKind.User, "unknown", userName.Trim(), false), "password", AuditOutcome.Failure).ConfigureAwait(false);
            throw new WardenException(WardenErrorKind.Unauthenticated, "The user name or password is wrong.");
        }

        throttle.Succeeded(key);
        await StartSessionAsync(context, actor).ConfigureAwait(false);
        await RecordAsync(context, actor, "password", AuditOutcome.Success).ConfigureAwait(false);
        return actor;
    }

    /// <summary>Signs in with an API token (how the first administrator reaches the UI), throttled per address.</summary>
    public async Task<Actor> SignInWithTokenAsync(HttpContext context, string? token)
    {
        var key = LoginThrottle.Key("(token)", context.Connection.RemoteIpAddress?.ToString());
        RequireNotThrottled(key);
        var result = await tokens.AuthenticateAsync(token?.Trim() ?? string.Empty, context.RequestAborted).ConfigureAwait(false);
        if (result.Actor is null)
        {
            throttle.Failed(key);
            await RecordAsync(context, new Actor(ActorKind.User, "unknown", "(token)", false), "token", AuditOutcome.Failure).ConfigureAwait(false);
            throw new WardenException(WardenErrorKind.Unauthenticated, result.Failure!);
        }

        throttle.Succeeded(key);
        await StartSessionAsync(context, result.Actor).ConfigureAwait(false);
        await RecordAsync(context, result.Actor, "token", AuditOutcome.Success).ConfigureAwait(false);
        return result.Actor;
    }

    /// <summary>Ends the web session of this request, if any.</summary>
    public async Task SignOutAsync(HttpContext context)
    {
        if (context.Request.Cookies.TryGetValue(WardenAuthenticationHandler.CookieName, out var cookie) && cookie is not null)
        {
            await sessions.DeleteAsync(cookie, context.RequestAborted).ConfigureAwait(false);
        }

        context.Response.Cookies.Delete(WardenAuthenticationHandler.CookieName);
    }

    private void RequireNotThrottled(string key)
    {
        if (throttle.RetryAfter(key) is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            throw new WardenException(WardenErrorKind.RateLimited, $"Too many failed sign-ins. Try again in {seconds} seconds.") { RetryAfter = TimeSpan.FromSeconds(seconds) };
        }
    }

    private Task RecordAsync(HttpContext context, Actor actor, string method, AuditOutcome outcome) =>
        audit.RecordAsync(
            AuditDrafts.For(actor, AuditDrafts.SiteOrg, "auth.login", "user", actor.Name,
                new Dictionary<string, string?> { ["method"] = method, ["address"] = context.Connection.RemoteIpAddress?.ToString() }, outcome),
            context.RequestAborted);

    private async Task StartSessionAsync(HttpContext context, Actor actor)
    {
        var secret = await sessions.CreateAsync(actor, context.RequestAborted).ConfigureAwait(false);
        context.Response.Cookies.Append(WardenAuthenticationHandler.CookieName, secret, new CookieOptions
        {
            HttpOnly = true,
            // Secure whenever the request came over HTTPS; plain HTTP is only for loopback development.
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = WebSessionStore.Lifetime,
        });
    }
}
