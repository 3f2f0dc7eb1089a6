using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A record literal <c>{a: 1, "b": 2}</c>.</summary>
public sealed class RecordExpr(IReadOnlyList<KeyValuePair<string, Expr>> fields) : Expr(1 + (fields.Count == 0 ? 0 : fields.Max(f => f.Value.Depth)))
{
    /// <summary>The fields in source order (keys are distinct).</summary>
    public IReadOnlyList<KeyValuePair<string, Expr>> Fields { get; } = fields;

    /// <inheritdoc />
    public override Value Evaluate(EvaluationContext ctx)
    {
        var d = new Dictionary<string, Value>(Fields.Count, StringComparer.Ordinal);
        foreach (var (k, e) in Fields)
        {
            d[k] = e.Evaluate(ctx);
        }

        return new RecordValue(d);
    }

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(", ", Fields.Select(f => StringValue.Quote(f.Key) + ": " + f.Value)) + "}";
}
