using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A literal value: boolean, integer, string or entity uid.</summary>
public sealed class LiteralExpr(Value value) : Expr(1)
{
    /// <summary>The literal value.</summary>
    public Value Value { get; } = value;

    /// <inheritdoc />
    public override Value? ConstantValue => Value;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx) => Value;

    /// <inheritdoc />
    public override string ToString() => Value.ToString();
}
