using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A template slot; only valid in an unlinked template, so evaluating it is an error.</summary>
public sealed class SlotExpr(SlotKind slot) : Expr(1)
{
    /// <summary>Which slot.</summary>
    public SlotKind Slot { get; } = slot;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx) => throw new EvaluationException($"unlinked slot {this}");

    /// <inheritdoc />
    public override string ToString() => Slot == SlotKind.Principal ? "?principal" : "?resource";
}
