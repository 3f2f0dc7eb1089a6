namespace Warden.Policy;

/// <summary>An authorization decision.</summary>
public enum Decision
{
    /// <summary>At least one permit is satisfied and no forbid is.</summary>
    Allow,

    /// <summary>Default, or a forbid is satisfied.</summary>
    Deny,
}
