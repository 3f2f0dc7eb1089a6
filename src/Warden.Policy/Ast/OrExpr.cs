using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>Short-circuiting <c>||</c>.</summary>
public sealed class OrExpr(Expr left, Expr right) : Expr(1 + Math.Max(left.Depth, right.Depth))
{
    /// <summary>Left operand.</summary>
    public Expr Left { get; } = left;

    /// <summary>Right operand.</summary>
    public Expr Right { get; } = right;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx) =>
        EvaluateBool(Left, ctx) ? BoolValue.True : BoolValue.Of(EvaluateBool(Right, ctx));

    /// <inheritdoc />
    public override string ToString() => $"({Left} || {Right})";
}
