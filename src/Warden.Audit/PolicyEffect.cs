namespace Warden.Audit;

/// <summary>The effect of a policy decision. Encoded canonically as <c>allow</c> / <c>deny</c>.</summary>
public enum PolicyEffect
{
    /// <summary><c>allow</c>.</summary>
    Allow = 1,

    /// <summary><c>deny</c>.</summary>
    Deny = 2,
}
