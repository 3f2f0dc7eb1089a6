using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>e has attr</c>. False for entities missing from the entity data.</summary>
public sealed class HasAttrExpr(Expr target, string attribute) : Expr(1 + target.Depth)
{
    /// <summary>The record or entity tested.</summary>
    public Expr Target { get; } = target;

    /// <summary>The attribute name.</summary>
    public string Attribute { get; } = attribute;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var v = Target.Evaluate(ctx);
        if (v is RecordValue r)
        {
            return BoolValue.Of(r.Has(Attribute));
        }

        if (v is EntityUid uid)
        {
            return BoolValue.Of(ctx.TryGetEntity(uid, out var e) && e.Attributes.ContainsKey(Attribute));
        }

        throw TypeError("entity or record", v);
    }

    /// <inheritdoc />
    public override string ToString() => $"({Target} has {StringValue.Quote(Attribute)})";
}
