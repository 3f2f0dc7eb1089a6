using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>if c then a else b</c>.</summary>
public sealed class IfExpr(Expr condition, Expr then, Expr otherwise) : Expr(1 + Math.Max(condition.Depth, Math.Max(then.Depth, otherwise.Depth)))
{
    /// <summary>The condition.</summary>
    public Expr Condition { get; } = condition;

    /// <summary>The then branch.</summary>
    public Expr Then { get; } = then;

    /// <summary>The else branch.</summary>
    public Expr Else { get; } = otherwise;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx) =>
        EvaluateBool(Condition, ctx) ? Then.Evaluate(ctx) : Else.Evaluate(ctx);

    /// <inheritdoc />
    public override string ToString() => $"(if {Condition} then {Then} else {Else})";
}
