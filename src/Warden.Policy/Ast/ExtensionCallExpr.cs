using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A call of an extension function; for methods the receiver is the first argument.</summary>
public sealed class ExtensionCallExpr : Expr
{
    // Constructor calls on a string literal are folded once at parse time; an invalid literal still errors at evaluation.
    private readonly Value? _constant;
    private readonly bool _constantInvalid;

    /// <summary>Creates a call.</summary>
    public ExtensionCallExpr(ExtensionFunction function, IReadOnlyList<Expr> arguments)
        : base(1 + (arguments.Count == 0 ? 0 : arguments.Max(a => a.Depth)))
    {
        Function = function;
        Arguments = arguments;
        if (!ExtensionFunctions.IsMethod(function) && arguments.Count == 1 && arguments[0] is LiteralExpr { Value: StringValue s })
        {
            _constant = ExtensionFunctions.Construct(function, s.Value);
            _constantInvalid = _constant is null;
        }
    }

    /// <summary>The function.</summary>
    public ExtensionFunction Function { get; }

    /// <summary>The arguments (receiver first for methods).</summary>
    public IReadOnlyList<Expr> Arguments { get; }

    /// <inheritdoc />
    public override Value? ConstantValue => _constant;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        if (_constant is not null)
        {
            return _constant;
        }

        if (_constantInvalid)
        {
            throw new EvaluationException($"invalid {ExtensionFunctions.Name(Function)} literal");
        }

        if (Arguments.Count != ExtensionFunctions.Arity(Function))
        {
            foreach (var arg in Arguments)
            {
                arg.Evaluate(ctx);
            }

            throw new EvaluationException($"{ExtensionFunctions.Name(Function)} expects {ExtensionFunctions.Arity(Function)} argument(s), got {Arguments.Count}");
        }

        var a = Arguments[0].Evaluate(ctx);
        var b = Arguments.Count > 1 ? Arguments[1].Evaluate(ctx) : null;
        return ExtensionFunctions.Apply(Function, a, b);
    }

    /// <inheritdoc />
    public override string ToString() => ExtensionFunctions.IsMethod(Function)
        ? $"{Arguments[0]}.{ExtensionFunctions.Name(Function)}({string.Join(", ", Arguments.Skip(1))})"
        : $"{ExtensionFunctions.Name(Function)}({string.Join(", ", Arguments)})";
}
