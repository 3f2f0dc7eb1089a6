using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>e is Ns::Type</c>.</summary>
public sealed class IsExpr(Expr target, string entityType) : Expr(1 + target.Depth)
{
    /// <summary>The entity tested.</summary>
    public Expr Target { get; } = target;

    /// <summary>The entity type name.</summary>
    public string EntityType { get; } = entityType;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var v = Target.Evaluate(ctx);
        return v is EntityUid uid ? BoolValue.Of(string.Equals(uid.Type, EntityType, StringComparison.Ordinal)) : throw TypeError("entity", v);
    }

    /// <inheritdoc />
    public override string ToString() => $"({Target} is {EntityType})";
}
