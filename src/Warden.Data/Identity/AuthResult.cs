namespace Warden.Data.Identity;

/// <summary>The outcome of checking a credential: the actor, or a reason that is safe to show the caller.</summary>
public readonly record struct AuthResult(Actor? Actor, string? Failure)
{
    /// <summary>Authenticated.</summary>
    public static AuthResult Ok(Actor actor) => new(actor, null);

    /// <summary>Not authenticated, and why.</summary>
    public static AuthResult Fail(string reason) => new(null, reason);
}
