namespace Warden.Data.Workers;

/// <summary>The outcome of checking a join token: an identity, or why the token cannot be used (worded for the worker's operator).</summary>
/// <param name="Identity">The identity when valid.</param>
/// <param name="Failure">Why not, when invalid.</param>
public sealed record JoinTokenCheck(JoinTokenIdentity? Identity, string? Failure)
{
    /// <summary>A valid token.</summary>
    public static JoinTokenCheck Ok(JoinTokenIdentity identity) => new(identity, null);

    /// <summary>An unusable token.</summary>
    public static JoinTokenCheck Fail(string reason) => new(null, reason);
}
