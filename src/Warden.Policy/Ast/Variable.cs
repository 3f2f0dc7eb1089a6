namespace Warden.Policy.Ast;

/// <summary>The four request variables.</summary>
public enum Variable
{
    /// <summary><c>principal</c>.</summary>
    Principal,

    /// <summary><c>action</c>.</summary>
    Action,

    /// <summary><c>resource</c>.</summary>
    Resource,

    /// <summary><c>context</c>.</summary>
    Context,
}
