namespace Warden.Policy;

/// <summary>The shape of a principal or resource scope constraint.</summary>
public enum ScopeKind
{
    /// <summary>No constraint.</summary>
    Any,

    /// <summary><c>== E</c>.</summary>
    Eq,

    /// <summary><c>in E</c>.</summary>
    In,

    /// <summary><c>is T</c>.</summary>
    Is,

    /// <summary><c>is T in E</c>.</summary>
    IsIn,
}
