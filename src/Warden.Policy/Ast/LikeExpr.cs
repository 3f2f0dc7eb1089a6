using System.Text;
using Warden.Policy.Evaluation;
using Warden.Policy.Parsing;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>e like "pat*tern"</c>.</summary>
public sealed class LikeExpr : Expr
{
    // The pattern flattened once to code units, with -1 marking a wildcard, so matching allocates nothing.
    private readonly int[] _compiled;

    /// <summary>Creates a like expression.</summary>
    public LikeExpr(Expr target, IReadOnlyList<PatternElement> pattern)
        : base(1 + target.Depth)
    {
        Target = target;
        Pattern = pattern;
        _compiled = Compile(pattern);
    }

    /// <summary>The string tested.</summary>
    public Expr Target { get; }

    /// <summary>The pattern.</summary>
    public IReadOnlyList<PatternElement> Pattern { get; }

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var v = Target.Evaluate(ctx);
        return v is StringValue s ? BoolValue.Of(Matches(s.Value, _compiled)) : throw TypeError("string", v);
    }

    /// <summary>Wildcard match: greedy with backtracking to the last star, linear in practice.</summary>
    public static bool Matches(string text, IReadOnlyList<PatternElement> pattern) => Matches(text, Compile(pattern));

    private static int[] Compile(IReadOnlyList<PatternElement> pattern)
    {
        var p = new List<int>();
        foreach (var el in pattern)
        {
            if (el.IsWildcard)
            {
                p.Add(-1);
            }
            else
            {
                foreach (var c in el.Text)
                {
                    p.Add(c);
                }
            }
        }

        return [.. p];
    }

    private static bool Matches(string text, int[] p)
    {
        int ti = 0, pi = 0, star = -1, mark = 0;
        while (ti < text.Length)
        {
            if (pi < p.Length && p[pi] != -1 && p[pi] == text[ti])
            {
                ti++;
                pi++;
            }
            else if (pi < p.Length && p[pi] == -1)
            {
                star = pi++;
                mark = ti;
            }
            else if (star >= 0)
            {
                pi = star + 1;
                ti = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (pi < p.Length && p[pi] == -1)
        {
            pi++;
        }

        return pi == p.Length;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var el in Pattern)
        {
            if (el.IsWildcard)
            {
                sb.Append('*');
            }
            else
            {
                var q = StringValue.Quote(el.Text);
                sb.Append(q[1..^1].Replace("*", "\\*", StringComparison.Ordinal));
            }
        }

        return $"({Target} like \"{sb}\")";
    }
}
