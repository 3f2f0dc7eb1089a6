using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A set literal <c>[a, b]</c>.</summary>
public sealed class SetExpr : Expr
{
    private readonly SetValue? _constant;

    /// <summary>Creates a set literal.</summary>
    public SetExpr(IReadOnlyList<Expr> elements)
        : base(1 + (elements.Count == 0 ? 0 : elements.Max(e => e.Depth)))
    {
        Elements = elements;
        if (elements.All(e => e.ConstantValue is not null))
        {
            _constant = SetValue.Create(elements.Select(e => e.ConstantValue!));
        }
    }

    /// <summary>The element expressions.</summary>
    public IReadOnlyList<Expr> Elements { get; }

    /// <inheritdoc />
    public override Value? ConstantValue => _constant;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        if (_constant is not null)
        {
            return _constant;
        }

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
