using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>A binary operation; both operands are always evaluated, left first.</summary>
public sealed class BinaryExpr(BinaryOp op, Expr left, Expr right) : Expr(1 + Math.Max(left.Depth, right.Depth))
{
    /// <summary>The operator.</summary>
    public BinaryOp Op { get; } = op;

    /// <summary>Left operand (the receiver for method forms).</summary>
    public Expr Left { get; } = left;

    /// <summary>Right operand (the argument for method forms).</summary>
    public Expr Right { get; } = right;

    /// <inheritdoc />
    public override Value Evaluate(in EvaluationContext ctx)
    {
        var l = Left.Evaluate(ctx);
        var r = Right.Evaluate(ctx);
        return Apply(Op, l, r, ctx);
    }

    /// <summary>Applies a binary operator to evaluated operands.</summary>
    public static Value Apply(BinaryOp op, Value l, Value r, in EvaluationContext ctx)
    {
        switch (op)
        {
            case BinaryOp.Eq:
                return BoolValue.Of(l.Equals(r));
            case BinaryOp.Less:
                return BoolValue.Of(Compare(l, r) < 0);
            case BinaryOp.LessEq:
                return BoolValue.Of(Compare(l, r) <= 0);
            case BinaryOp.Greater:
                return BoolValue.Of(Compare(l, r) > 0);
            case BinaryOp.GreaterEq:
                return BoolValue.Of(Compare(l, r) >= 0);
            case BinaryOp.Add:
            case BinaryOp.Sub:
            case BinaryOp.Mul:
                return Arithmetic(op, l, r);
            case BinaryOp.In:
                return In(l, r, ctx);
            case BinaryOp.Contains:
                return l is SetValue s ? BoolValue.Of(s.Contains(r)) : throw TypeError("set", l);
            case BinaryOp.ContainsAll:
            case BinaryOp.ContainsAny:
                if (l is not SetValue s1)
                {
                    throw TypeError("set", l);
                }

                if (r is not SetValue s2)
                {
                    throw TypeError("set", r);
                }

                return BoolValue.Of(op == BinaryOp.ContainsAll ? s1.ContainsAll(s2) : s1.ContainsAny(s2));
            case BinaryOp.HasTag:
            case BinaryOp.GetTag:
                return Tag(op, l, r, ctx);
            default:
                throw new EvaluationException("unknown operator");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Op switch
    {
        BinaryOp.Eq => $"({Left} == {Right})",
        BinaryOp.Less => $"({Left} < {Right})",
        BinaryOp.LessEq => $"({Left} <= {Right})",
        BinaryOp.Greater => $"({Left} > {Right})",
        BinaryOp.GreaterEq => $"({Left} >= {Right})",
        BinaryOp.In => $"({Left} in {Right})",
        BinaryOp.Add => $"({Left} + {Right})",
        BinaryOp.Sub => $"({Left} - {Right})",
        BinaryOp.Mul => $"({Left} * {Right})",
        BinaryOp.Contains => $"{Left}.contains({Right})",
        BinaryOp.ContainsAll => $"{Left}.containsAll({Right})",
        BinaryOp.ContainsAny => $"{Left}.containsAny({Right})",
        BinaryOp.HasTag => $"{Left}.hasTag({Right})",
        _ => $"{Left}.getTag({Right})",
    };

    private static int Compare(Value l, Value r)
    {
        // Cedar orders Longs, and (since 4.x) datetimes and durations among themselves.
        if (l is LongValue a && r is LongValue b)
        {
            return a.Value.CompareTo(b.Value);
        }

        if (l is DatetimeValue d1 && r is DatetimeValue d2)
        {
            return d1.Millis.CompareTo(d2.Millis);
        }

        if (l is DurationValue u1 && r is DurationValue u2)
        {
            return u1.Millis.CompareTo(u2.Millis);
        }

        throw l is LongValue or DatetimeValue or DurationValue ? TypeError(l.TypeName, r) : TypeError("long", l);
    }

    private static LongValue Arithmetic(BinaryOp op, Value l, Value r)
    {
        if (l is not LongValue a)
        {
            throw TypeError("long", l);
        }

        if (r is not LongValue b)
        {
            throw TypeError("long", r);
        }

        long result;
        try
        {
            result = op switch
            {
                BinaryOp.Add => checked(a.Value + b.Value),
                BinaryOp.Sub => checked(a.Value - b.Value),
                _ => checked(a.Value * b.Value),
            };
        }
        catch (OverflowException)
        {
            throw new EvaluationException("integer overflow");
        }

        return LongValue.Of(result);
    }

    private static BoolValue In(Value l, Value r, in EvaluationContext ctx)
    {
        if (l is not EntityUid child)
        {
            throw TypeError("entity", l);
        }

        if (r is EntityUid parent)
        {
            return BoolValue.Of(ctx.IsIn(child, parent));
        }

        if (r is not SetValue set)
        {
            throw TypeError("entity or set", r);
        }

        // Every element must be an entity even if an earlier one already matched.
        var found = false;
        foreach (var item in set.AsSpan())
        {
            if (item is not EntityUid p)
            {
                throw TypeError("entity", item);
            }

            found = found || ctx.IsIn(child, p);
        }

        return BoolValue.Of(found);
    }

    private static Value Tag(BinaryOp op, Value l, Value r, in EvaluationContext ctx)
    {
        if (l is not EntityUid uid)
        {
            throw TypeError("entity", l);
        }

        if (r is not StringValue tag)
        {
            throw TypeError("string", r);
        }

        if (!ctx.TryGetEntity(uid, out var entity))
        {
            return op == BinaryOp.HasTag ? BoolValue.False : throw new EvaluationException($"entity {uid} does not exist");
        }

        if (op == BinaryOp.HasTag)
        {
            return BoolValue.Of(entity.Tags.ContainsKey(tag.Value));
        }

        return entity.Tags.TryGetValue(tag.Value, out var v) ? v : throw new EvaluationException($"tag {StringValue.Quote(tag.Value)} does not exist on {uid}");
    }
}
