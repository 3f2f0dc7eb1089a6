namespace Warden.Policy.Ast;

/// <summary>Binary operators, including the two-operand set and tag methods.</summary>
public enum BinaryOp
{
    /// <summary><c>==</c>.</summary>
    Eq,

    /// <summary><c>&lt;</c>.</summary>
    Less,

    /// <summary><c>&lt;=</c>.</summary>
    LessEq,

    /// <summary><c>&gt;</c>.</summary>
    Greater,

    /// <summary><c>&gt;=</c>.</summary>
    GreaterEq,

    /// <summary><c>in</c>.</summary>
    In,

    /// <summary><c>+</c>.</summary>
    Add,

    /// <summary><c>-</c>.</summary>
    Sub,

    /// <summary><c>*</c>.</summary>
    Mul,

    /// <summary><c>.contains(x)</c>.</summary>
    Contains,

    /// <summary><c>.containsAll(s)</c>.</summary>
    ContainsAll,

    /// <summary><c>.containsAny(s)</c>.</summary>
    ContainsAny,

    /// <summary><c>.hasTag(t)</c>.</summary>
    HasTag,

    /// <summary><c>.getTag(t)</c>.</summary>
    GetTag,
}
