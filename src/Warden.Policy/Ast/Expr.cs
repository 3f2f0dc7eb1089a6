using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>
/// An immutable Cedar expression node. Evaluation is a virtual call per node, so the evaluator needs no
/// central switch and no per-call allocations beyond the values it produces.
/// </summary>
public abstract class Expr
{
    /// <summary>Creates a node of the given nesting depth.</summary>
    protected Expr(int depth) => Depth = depth;

    /// <summary>Nesting depth of this tree (a leaf has depth 1); parsers bound it to keep recursion safe.</summary>
    public int Depth { get; }

    /// <summary>
    /// The value of this expression when it does not depend on the request or entities (literals, and sets,
    /// records and extension constructors built only from constants); null otherwise. Lets composite literals be
    /// built once at parse time instead of on every evaluation.
    /// </summary>
    public virtual Value? ConstantValue => null;

    /// <summary>Parses a standalone Cedar expression. Throws <see cref="Parsing.ParseException"/> on malformed input.</summary>
    public static Expr Parse(string text) => Parsing.PolicyParser.ParseExpression(text);

    /// <summary>Evaluates the expression; throws <see cref="EvaluationException"/> on Cedar evaluation errors.</summary>
    public abstract Value Evaluate(in EvaluationContext ctx);

    /// <summary>Renders the expression in Cedar syntax.</summary>
    public abstract override string ToString();

    /// <summary>Throws a type error.</summary>
    protected static EvaluationException TypeError(string expected, Value actual) =>
        new($"type error: expected {expected}, got {actual.TypeName}");

    /// <summary>Evaluates a sub-expression that must produce a boolean.</summary>
    protected static bool EvaluateBool(Expr e, in EvaluationContext ctx)
    {
        var v = e.Evaluate(ctx);
        return v is BoolValue b ? b.Value : throw TypeError("bool", v);
    }
}
