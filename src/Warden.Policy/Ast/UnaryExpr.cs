using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A unary operation.</summary>
public sealed class UnaryExpr(UnaryOp op, Expr operand) : Expr(1 + operand.Depth)
{
    /// <summary>The operator.</summary>
    public UnaryOp Op { get; } = op;

    /// <summary>The operand.</summary>
    public Expr Operand { get; } = operand;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var v = Operand.Evaluate(ctx);
        switch (Op)
        {
            case UnaryOp.Not:
                return v is BoolValue b ? BoolValue.Of(!b.Value) : throw TypeError("bool", v);
            case UnaryOp.Negate:
                if (v is not LongValue l)
                {
                    throw TypeError("long", v);
                }

                return l.Value == long.MinValue ? throw new EvaluationException("integer overflow in negation") : LongValue.Of(-l.Value);
            default:
                return v is SetValue s ? BoolValue.Of(s.Count == 0) : throw TypeError("set", v);
        }
    }

    /// <inheritdoc />
    public override string ToString() => Op switch
    {
        UnaryOp.Not => $"(!{Operand})",
        // The extra parentheses keep a negated literal from being re-read as a negative literal.
        UnaryOp.Negate => $"(-({Operand}))",
        _ => $"{Operand}.isEmpty()",
    };
}
