namespace Warden.Policy.Ast;

/// <summary>Template slots.</summary>
public enum SlotKind
{
    /// <summary><c>?principal</c>.</summary>
    Principal,

    /// <summary><c>?resource</c>.</summary>
    Resource,
}
