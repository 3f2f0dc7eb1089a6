using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A record literal <c>{a: 1, "b": 2}</c>.</summary>
public sealed class RecordExpr : Expr
{
    private readonly RecordValue? _constant;

    /// <summary>Creates a record literal.</summary>
    public RecordExpr(IReadOnlyList<KeyValuePair<string, Expr>> fields)
        : base(1 + (fields.Count == 0 ? 0 : fields.Max(f => f.Value.Depth)))
    {
        Fields = fields;
        if (fields.All(f => f.Value.ConstantValue is not null))
        {
            var d = new Dictionary<string, Value>(fields.Count, StringComparer.Ordinal);
            foreach (var (k, e) in fields)
            {
                d[k] = e.ConstantValue!;
            }

            _constant = new RecordValue(d);
        }
    }

    /// <summary>The fields in source order (keys are distinct).</summary>
    public IReadOnlyList<KeyValuePair<string, Expr>> Fields { get; }

    /// <inheritdoc />
    public override Value? ConstantValue => _constant;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        if (_constant is not null)
        {
            return _constant;
        }

        var d = new Dictionary<string, Value>(Fields.Count, StringComparer.Ordinal);
        for (var i = 0; i < Fields.Count; i++)
        {
            var (k, e) = Fields[i];
            d[k] = e.Evaluate(ctx);
        }

        return new RecordValue(d);
    }

    /// <inheritdoc />
    public override string ToString() => "{" + string.Join(", ", Fields.Select(f => StringValue.Quote(f.Key) + ": " + f.Value)) + "}";
}
