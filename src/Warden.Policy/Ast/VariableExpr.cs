using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A request variable reference.</summary>
public sealed class VariableExpr(Variable variable) : Expr(1)
{
    /// <summary>Which variable.</summary>
    public Variable Variable { get; } = variable;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx) => Variable switch
    {
        Variable.Principal => ctx.Principal,
        Variable.Action => ctx.Action,
        Variable.Resource => ctx.Resource,
        _ => ctx.Context,
    };

    /// <inheritdoc />
    public override string ToString() => Variable.ToString().ToLowerInvariant();
}
