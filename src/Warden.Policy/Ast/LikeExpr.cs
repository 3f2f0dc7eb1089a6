using System.Text;
using Warden.Policy.Evaluation;
using Warden.Policy.Parsing;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary><c>e like "pat*tern"</c>.</summary>
public sealed class LikeExpr(Expr target, IReadOnlyList<PatternElement> pattern) : Expr(1 + target.Depth)
{
    /// <summary>The string tested.</summary>
    public Expr Target { get; } = target;

    /// <summary>The pattern.</summary>
    public IReadOnlyList<PatternElement> Pattern { get; } = pattern;

    /// <inheritdoc />
    public override Value Evaluate(EvaluationContext ctx)
    {
        var v = Target.Evaluate(ctx);
        return v is StringValue s ? BoolValue.Of(Matches(s.Value, Pattern)) : throw TypeError("string", v);
    }

    /// <summary>Wildcard match: greedy with backtracking to the last star, linear in practice.</summary>
    public static bool Matches(string text, IReadOnlyList<PatternElement> pattern)
    {
        // Flatten to a char/wildcard sequence; -1 marks a wildcard.
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

        int ti = 0, pi = 0, star = -1, mark = 0;
        while (ti < text.Length)
        {
            if (pi < p.Count && p[pi] != -1 && p[pi] == text[ti])
            {
                ti++;
                pi++;
            }
            else if (pi < p.Count && p[pi] == -1)
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

        while (pi < p.Count && p[pi] == -1)
        {
            pi++;
        }

        return pi == p.Count;
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
                sb.Append(q.AsSpan(1, q.Length - 2)).Replace("*", "\\*");
            }
        }

        return $"({Target} like \"{sb}\")";
    }
}
