namespace Warden.Policy;

/// <summary>The shape of an action scope constraint.</summary>
public enum ActionScopeKind
{
    /// <summary>No constraint.</summary>
    Any,

    /// <summary><c>action == E</c>.</summary>
    Eq,

    /// <summary><c>action in E</c>.</summary>
    In,

    /// <summary><c>action in [E1, E2]</c>.</summary>
    InSet,
}
