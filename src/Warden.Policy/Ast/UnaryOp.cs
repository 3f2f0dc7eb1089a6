namespace Warden.Policy.Ast;

/// <summary>Unary operators (including the zero-argument set method <c>isEmpty</c>).</summary>
public enum UnaryOp
{
    /// <summary><c>!e</c>.</summary>
    Not,

    /// <summary><c>-e</c>.</summary>
    Negate,

    /// <summary><c>e.isEmpty()</c>.</summary>
    IsEmpty,
}
