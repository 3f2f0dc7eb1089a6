using System.Collections.Immutable;
using Warden.Policy.Ast;
using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Validation;

/// <summary>
/// Strict-mode Cedar typechecker for one request environment. Follows the Cedar formal model: boolean singleton
/// types (True/False) enable short-circuit typing, and capabilities record which optional attributes and tags
/// have been guarded by <c>has</c>/<c>hasTag</c>.
/// </summary>
internal sealed class Typechecker
{
    private static readonly ImmutableHashSet<string> NoCaps = ImmutableHashSet.Create<string>(StringComparer.Ordinal);
    private readonly CedarSchema _schema;
    private readonly RequestEnvironment _env;

    public Typechecker(CedarSchema schema, RequestEnvironment env)
    {
        _schema = schema;
        _env = env;
    }

    /// <summary>Types an expression; throws <see cref="TypeErrorException"/> on the first error.</summary>
    public CedarType TypeOf(Expr e) => TypeOf(e, NoCaps).Type;

    private static TypeErrorException Err(string kind, string message) => new(kind, message);

    private static string AttrKey(Expr e, string attr) => e + "\u0001." + attr;

    private static string TagKey(Expr e, Expr tag) => e + "\u0001tag:" + tag;

    private (CedarType Type, ImmutableHashSet<string> Caps) TypeOf(Expr e, ImmutableHashSet<string> c)
    {
        switch (e)
        {
            case LiteralExpr lit:
                return (TypeOfLiteral(lit.Value), NoCaps);
            case VariableExpr v:
                return (v.Variable switch
                {
                    Variable.Principal => new EntityType(_env.PrincipalType),
                    Variable.Action => new EntityType(_env.Action.Type),
                    Variable.Resource => new EntityType(_env.ResourceType),
                    _ => _env.Context,
                }, NoCaps);
            case SlotExpr slot:
                // An unlinked slot could hold any entity; typing it as the environment's own type keeps `==` and
                // `in` undecided (Bool) so every linkable environment is still typechecked.
                return (new EntityType(slot.Slot == SlotKind.Principal ? _env.PrincipalType : _env.ResourceType), NoCaps);
            case IfExpr ife:
                return TypeOfIf(ife, c);
            case AndExpr and:
                return TypeOfAnd(and, c);
            case OrExpr or:
                return TypeOfOr(or, c);
            case UnaryExpr u:
                {
                    var (t, _) = TypeOf(u.Operand, c);
                    switch (u.Op)
                    {
                        case UnaryOp.Not when t is BoolType b:
                            return (b.Singleton switch { null => BoolType.Any, true => BoolType.False, false => BoolType.True }, NoCaps);
                        case UnaryOp.Negate when t is LongType:
                            return (LongType.Instance, NoCaps);
                        case UnaryOp.IsEmpty when t is SetType:
                            return (BoolType.Any, NoCaps);
                        default:
                            throw Err("unexpectedType", $"unexpected operand type {t} for {u}");
                    }
                }

            case LikeExpr like:
                {
                    var (t, _) = TypeOf(like.Target, c);
                    return t is StringType ? (BoolType.Any, NoCaps) : throw Err("unexpectedType", $"like expects String, got {t}");
                }

            case IsExpr isx:
                {
                    var (t, _) = TypeOf(isx.Target, c);
                    return t is EntityType et
                        ? (string.Equals(et.Name, isx.EntityType, StringComparison.Ordinal) ? BoolType.True : BoolType.False, NoCaps)
                        : throw Err("unexpectedType", $"is expects an entity, got {t}");
                }

            case BinaryExpr b:
                {
                    var (t1, _) = TypeOf(b.Left, c);
                    var (t2, _) = TypeOf(b.Right, c);
                    return TypeOfBinary(b, t1, t2, c);
                }

            case HasAttrExpr has:
                {
                    var (t, _) = TypeOf(has.Target, c);
                    return TypeOfHasAttr(t, has, c);
                }

            case GetAttrExpr get:
                {
                    var (t, _) = TypeOf(get.Target, c);
                    return (TypeOfGetAttr(t, get, c), NoCaps);
                }

            case SetExpr set:
                {
                    if (set.Elements.Count == 0)
                    {
                        throw Err("emptySetErr", "empty set literals are not allowed in strict validation");
                    }

                    CedarType? acc = null;
                    foreach (var el in set.Elements)
                    {
                        var (t, _) = TypeOf(el, c);
                        acc = acc is null ? t : (TypeLattice.Lub(acc, t) ?? throw Err("incompatibleSetTypes", $"set elements have incompatible types {acc} and {t}"));
                    }

                    return (new SetType(acc!), NoCaps);
                }

            case RecordExpr rec:
                {
                    var d = new Dictionary<string, AttributeType>(StringComparer.Ordinal);
                    foreach (var (k, v) in rec.Fields)
                    {
                        d[k] = new AttributeType(TypeOf(v, c).Type, true);
                    }

                    return (new RecordType(d), NoCaps);
                }

            case ExtensionCallExpr call:
                return (TypeOfCall(call, c), NoCaps);
            default:
                throw Err("unexpectedType", "unsupported expression");
        }
    }

    private CedarType TypeOfLiteral(Value v)
    {
        switch (v)
        {
            case BoolValue b:
                return b.Value ? BoolType.True : BoolType.False;
            case LongValue:
                return LongType.Instance;
            case StringValue:
                return StringType.Instance;
            case EntityUid uid:
                if (_schema.EntityTypes.ContainsKey(uid.Type) || _schema.Actions.ContainsKey(uid))
                {
                    return new EntityType(uid.Type);
                }

                throw Err("unknownEntity", $"unknown entity type or action {uid}");
            default:
                throw Err("unexpectedType", "unexpected literal");
        }
    }

    private (CedarType, ImmutableHashSet<string>) TypeOfIf(IfExpr ife, ImmutableHashSet<string> c)
    {
        var (t1, c1) = TypeOf(ife.Condition, c);
        if (t1 is not BoolType b)
        {
            throw Err("unexpectedType", $"if condition must be Bool, got {t1}");
        }

        if (b.Singleton == true)
        {
            var (t2, c2) = TypeOf(ife.Then, c.Union(c1));
            return (t2, c1.Union(c2));
        }

        if (b.Singleton == false)
        {
            return TypeOf(ife.Else, c);
        }

        var (tt, ct) = TypeOf(ife.Then, c.Union(c1));
        var (te, ce) = TypeOf(ife.Else, c);
        var lub = TypeLattice.Lub(tt, te) ?? throw Err("lubErr", $"if branches have incompatible types {tt} and {te}");
        return (lub, c1.Union(ct).Intersect(ce));
    }

    private (CedarType, ImmutableHashSet<string>) TypeOfAnd(AndExpr and, ImmutableHashSet<string> c)
    {
        var (t1, c1) = TypeOf(and.Left, c);
        if (t1 is not BoolType b1)
        {
            throw Err("unexpectedType", $"&& operand must be Bool, got {t1}");
        }

        if (b1.Singleton == false)
        {
            return (BoolType.False, NoCaps);
        }

        var (t2, c2) = TypeOf(and.Right, c.Union(c1));
        if (t2 is not BoolType b2)
        {
            throw Err("unexpectedType", $"&& operand must be Bool, got {t2}");
        }

        if (b2.Singleton == false)
        {
            return (BoolType.False, NoCaps);
        }

        return (b2.Singleton == true ? b1 : BoolType.Any, c1.Union(c2));
    }

    private (CedarType, ImmutableHashSet<string>) TypeOfOr(OrExpr or, ImmutableHashSet<string> c)
    {
        var (t1, c1) = TypeOf(or.Left, c);
        if (t1 is not BoolType b1)
        {
            throw Err("unexpectedType", $"|| operand must be Bool, got {t1}");
        }

        if (b1.Singleton == true)
        {
            return (BoolType.True, NoCaps);
        }

        var (t2, c2) = TypeOf(or.Right, c);
        if (t2 is not BoolType b2)
        {
            throw Err("unexpectedType", $"|| operand must be Bool, got {t2}");
        }

        if (b1.Singleton == false)
        {
            return (b2, c2);
        }

        return b2.Singleton switch
        {
            true => (BoolType.True, NoCaps),
            false => (BoolType.Any, c1),
            _ => (BoolType.Any, c1.Intersect(c2)),
        };
    }

    // The action variable is treated as a literal of the environment's action, as in Cedar's validator.
    private EntityUid? LiteralUid(Expr e) => e switch
    {
        LiteralExpr { Value: EntityUid u } => u,
        VariableExpr { Variable: Variable.Action } => _env.Action,
        _ => null,
    };

    private Value? LiteralValue(Expr e) => e switch
    {
        LiteralExpr l => l.Value,
        VariableExpr { Variable: Variable.Action } => _env.Action,
        _ => null,
    };

    private (CedarType, ImmutableHashSet<string>) TypeOfBinary(BinaryExpr b, CedarType t1, CedarType t2, ImmutableHashSet<string> c)
    {
        switch (b.Op)
        {
            case BinaryOp.Eq:
                {
                    var l1 = LiteralValue(b.Left);
                    var l2 = LiteralValue(b.Right);
                    if (l1 is not null && l2 is not null)
                    {
                        return (l1.Equals(l2) ? BoolType.True : BoolType.False, NoCaps);
                    }

                    if (TypeLattice.Lub(t1, t2) is not null)
                    {
                        return (BoolType.Any, NoCaps);
                    }

                    if (t1 is EntityType && t2 is EntityType)
                    {
                        return (BoolType.False, NoCaps);
                    }

                    throw Err("lubErr", $"== operands have incompatible types {t1} and {t2}");
                }

            case BinaryOp.In:
                return (TypeOfIn(b, t1, t2), NoCaps);
            case BinaryOp.HasTag:
                return TypeOfHasTag(b, t1, t2, c);
            case BinaryOp.GetTag:
                return (TypeOfGetTag(b, t1, t2, c), NoCaps);
            case BinaryOp.Less:
            case BinaryOp.LessEq:
            case BinaryOp.Greater:
            case BinaryOp.GreaterEq:
                if ((t1 is LongType && t2 is LongType) ||
                    (t1 is ExtensionType x1 && t2 is ExtensionType x2 && x1 == x2 && (x1 == ExtensionType.Datetime || x1 == ExtensionType.Duration)))
                {
                    return (BoolType.Any, NoCaps);
                }

                throw Err("unexpectedType", $"comparison of {t1} and {t2}");
            case BinaryOp.Add:
            case BinaryOp.Sub:
            case BinaryOp.Mul:
                if (t1 is LongType && t2 is LongType)
                {
                    return (LongType.Instance, NoCaps);
                }

                throw Err("unexpectedType", $"arithmetic on {t1} and {t2}");
            case BinaryOp.Contains:
                if (t1 is SetType s)
                {
                    return TypeLattice.Lub(t2, s.Element) is not null ? (BoolType.Any, NoCaps) : throw Err("lubErr", $"contains: {t2} incompatible with {s}");
                }

                throw Err("unexpectedType", $"contains on {t1}");
            default:
                if (t1 is SetType sa && t2 is SetType sb)
                {
                    return TypeLattice.Lub(sa.Element, sb.Element) is not null ? (BoolType.Any, NoCaps) : throw Err("lubErr", $"{b.Op}: {t1} incompatible with {t2}");
                }

                throw Err("unexpectedType", $"{b.Op} on {t1} and {t2}");
        }
    }

    private BoolType TypeOfIn(BinaryExpr b, CedarType t1, CedarType t2)
    {
        if (t1 is not EntityType e1)
        {
            throw Err("unexpectedType", $"in expects an entity on the left, got {t1}");
        }

        var leftUid = LiteralUid(b.Left);
        var leftAction = leftUid is not null && _schema.Actions.ContainsKey(leftUid) ? leftUid : null;
        if (t2 is EntityType e2)
        {
            var rightUid = LiteralUid(b.Right);
            if (leftAction is not null && rightUid is not null)
            {
                return _schema.IsDescendantAction(leftAction, rightUid) ? BoolType.True : BoolType.False;
            }

            return _schema.IsDescendantType(e1.Name, e2.Name) ? BoolType.Any : BoolType.False;
        }

        if (t2 is SetType { Element: EntityType se })
        {
            // Only a set written entirely of entity literals can be decided precisely.
            if (leftAction is not null && b.Right is SetExpr setx && setx.Elements.All(el => LiteralUid(el) is not null))
            {
                return setx.Elements.Any(el => _schema.IsDescendantAction(leftAction, LiteralUid(el)!)) ? BoolType.True : BoolType.False;
            }

            return _schema.IsDescendantType(e1.Name, se.Name) ? BoolType.Any : BoolType.False;
        }

        throw Err("unexpectedType", $"in expects an entity or set of entities on the right, got {t2}");
    }

    private (CedarType, ImmutableHashSet<string>) TypeOfHasTag(BinaryExpr b, CedarType t1, CedarType t2, ImmutableHashSet<string> c)
    {
        if (t1 is not EntityType et || t2 is not StringType)
        {
            throw Err("unexpectedType", $"hasTag on {t1} with {t2}");
        }

        if (_schema.EntityTypes.TryGetValue(et.Name, out var ets))
        {
            if (ets.Tags is null)
            {
                return (BoolType.False, NoCaps);
            }

            var key = TagKey(b.Left, b.Right);
            return c.Contains(key) ? (BoolType.True, NoCaps) : (BoolType.Any, NoCaps.Add(key));
        }

        if (_schema.ActionTypes.Contains(et.Name))
        {
            return (BoolType.False, NoCaps);
        }

        throw Err("unknownEntity", $"unknown entity type {et.Name}");
    }

    private CedarType TypeOfGetTag(BinaryExpr b, CedarType t1, CedarType t2, ImmutableHashSet<string> c)
    {
        if (t1 is not EntityType et || t2 is not StringType)
        {
            throw Err("unexpectedType", $"getTag on {t1} with {t2}");
        }

        if (!_schema.EntityTypes.TryGetValue(et.Name, out var ets))
        {
            throw Err("unknownEntity", $"unknown entity type {et.Name}");
        }

        if (ets.Tags is null || !c.Contains(TagKey(b.Left, b.Right)))
        {
            throw Err("tagNotFound", $"tag {b.Right} on {et.Name} is not known to exist (guard with hasTag)");
        }

        return ets.Tags;
    }

    private (CedarType, ImmutableHashSet<string>) TypeOfHasAttr(CedarType t, HasAttrExpr has, ImmutableHashSet<string> c)
    {
        switch (t)
        {
            case RecordType rt:
                return HasAttrInRecord(rt, has, c, knownToExist: true);
            case EntityType et:
                if (_schema.EntityTypes.TryGetValue(et.Name, out var ets))
                {
                    return HasAttrInRecord(ets.Attributes, has, c, knownToExist: false);
                }

                if (_schema.ActionTypes.Contains(et.Name))
                {
                    return (BoolType.False, NoCaps);
                }

                throw Err("unknownEntity", $"unknown entity type {et.Name}");
            default:
                throw Err("unexpectedType", $"has on {t}");
        }
    }

    private static (CedarType, ImmutableHashSet<string>) HasAttrInRecord(RecordType rt, HasAttrExpr has, ImmutableHashSet<string> c, bool knownToExist)
    {
        if (!rt.Attributes.TryGetValue(has.Attribute, out var at))
        {
            return (BoolType.False, NoCaps);
        }

        var key = AttrKey(has.Target, has.Attribute);
        if (c.Contains(key) || (at.Required && knownToExist))
        {
            return (BoolType.True, NoCaps);
        }

        return (BoolType.Any, NoCaps.Add(key));
    }

    private CedarType TypeOfGetAttr(CedarType t, GetAttrExpr get, ImmutableHashSet<string> c)
    {
        RecordType rt;
        switch (t)
        {
            case RecordType r:
                rt = r;
                break;
            case EntityType et:
                rt = _schema.EntityTypes.TryGetValue(et.Name, out var ets) ? ets.Attributes : throw Err("unknownEntity", $"unknown entity type {et.Name} (actions have no attributes)");
                break;
            default:
                throw Err("unexpectedType", $"attribute access on {t}");
        }

        if (!rt.Attributes.TryGetValue(get.Attribute, out var at))
        {
            throw Err("attrNotFound", $"attribute {get.Attribute} not found on {t}");
        }

        if (!at.Required && !c.Contains(AttrKey(get.Target, get.Attribute)))
        {
            throw Err("attrNotFound", $"optional attribute {get.Attribute} of {t} accessed without a has guard");
        }

        return at.Type;
    }

    private CedarType TypeOfCall(ExtensionCallExpr call, ImmutableHashSet<string> c)
    {
        var types = new CedarType[call.Arguments.Count];
        for (var i = 0; i < types.Length; i++)
        {
            types[i] = TypeOf(call.Arguments[i], c).Type;
        }

        CedarType Sig(ExtensionType[] args, CedarType result)
        {
            if (types.Length != args.Length)
            {
                throw Err("extensionErr", $"wrong number of arguments to {call}");
            }

            for (var i = 0; i < args.Length; i++)
            {
                if (!ReferenceEquals(types[i], args[i]) && !types[i].Equals(args[i]))
                {
                    throw Err("extensionErr", $"argument {i} of {call} has type {types[i]}, expected {args[i]}");
                }
            }

            return result;
        }

        switch (call.Function)
        {
            case ExtensionFunction.Decimal:
            case ExtensionFunction.Ip:
            case ExtensionFunction.Datetime:
            case ExtensionFunction.Duration:
                if (call.Arguments.Count == 1 && call.Arguments[0] is LiteralExpr { Value: StringValue s } && ExtensionFunctions.Construct(call.Function, s.Value) is not null)
                {
                    return call.Function switch
                    {
                        ExtensionFunction.Decimal => ExtensionType.Decimal,
                        ExtensionFunction.Ip => ExtensionType.IpAddr,
                        ExtensionFunction.Datetime => ExtensionType.Datetime,
                        _ => ExtensionType.Duration,
                    };
                }

                throw Err("extensionErr", $"{call} must be applied to a valid string literal");
            case ExtensionFunction.LessThan:
            case ExtensionFunction.LessThanOrEqual:
            case ExtensionFunction.GreaterThan:
            case ExtensionFunction.GreaterThanOrEqual:
                return Sig([ExtensionType.Decimal, ExtensionType.Decimal], BoolType.Any);
            case ExtensionFunction.IsIpv4:
            case ExtensionFunction.IsIpv6:
            case ExtensionFunction.IsLoopback:
            case ExtensionFunction.IsMulticast:
                return Sig([ExtensionType.IpAddr], BoolType.Any);
            case ExtensionFunction.IsInRange:
                return Sig([ExtensionType.IpAddr, ExtensionType.IpAddr], BoolType.Any);
            case ExtensionFunction.Offset:
                return Sig([ExtensionType.Datetime, ExtensionType.Duration], ExtensionType.Datetime);
            case ExtensionFunction.DurationSince:
                return Sig([ExtensionType.Datetime, ExtensionType.Datetime], ExtensionType.Duration);
            case ExtensionFunction.ToDate:
                return Sig([ExtensionType.Datetime], ExtensionType.Datetime);
            case ExtensionFunction.ToTime:
                return Sig([ExtensionType.Datetime], ExtensionType.Duration);
            default:
                return Sig([ExtensionType.Duration], LongType.Instance);
        }
    }
}
