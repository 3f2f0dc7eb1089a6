using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>e.attr</c> or <c>e["attr"]</c>.</summary>
public sealed class GetAttrExpr(Expr target, string attribute) : Expr(1 + target.Depth)
{
    /// <summary>The record or entity read.</summary>
    public Expr Target { get; } = target;

    /// <summary>The attribute name.</summary>
    public string Attribute { get; } = attribute;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var v = Target.Evaluate(ctx);
        if (v is RecordValue r)
        {
            return r.TryGet(Attribute, out var a) ? a : throw new EvaluationException($"record does not have attribute {StringValue.Quote(Attribute)}");
        }

        if (v is EntityUid uid)
        {
            if (!ctx.TryGetEntity(uid, out var e))
            {
                throw new EvaluationException($"entity {uid} does not exist");
            }

            return e.Attributes.TryGetValue(Attribute, out var a) ? a : throw new EvaluationException($"entity {uid} does not have attribute {StringValue.Quote(Attribute)}");
        }

        throw TypeError("entity or record", v);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Target}[{StringValue.Quote(Attribute)}]";
}
