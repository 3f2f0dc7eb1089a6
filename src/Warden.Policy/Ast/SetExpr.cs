using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A set literal <c>[a, b]</c>.</summary>
public sealed class SetExpr(IReadOnlyList<Expr> elements) : Expr(1 + (elements.Count == 0 ? 0 : elements.Max(e => e.Depth)))
{
    /// <summary>The element expressions.</summary>
    public IReadOnlyList<Expr> Elements { get; } = elements;

    /// <inheritdoc />
    public override Value Evaluate(EvaluationContext ctx)
    {
        if (Elements.Count == 0)
        {
            return SetValue.Empty;
        }

        var values = new Value[Elements.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Elements[i].Evaluate(ctx);
        }

        return SetValue.Create(values);
    }

    /// <inheritdoc />
    public override string ToString() => "[" + string.Join(", ", Elements) + "]";
}
