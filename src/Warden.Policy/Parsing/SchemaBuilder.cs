using System.Runtime.CompilerServices;
using Warden.Policy.Schemas;
using Warden.Policy.Values;
using static Warden.Policy.Parsing.SchemaParser;

namespace Warden.Policy.Parsing;

/// <summary>Resolves the names in parsed schema declarations and builds a <see cref="CedarSchema"/>.</summary>
internal sealed class SchemaBuilder
{
    private readonly List<RawEntity> _entities;
    private readonly List<RawAction> _actions;
    private readonly Dictionary<string, (RawType Type, string Ns)> _commonTypes;
    private readonly HashSet<string> _entityNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CedarType> _resolvedCommon = new(StringComparer.Ordinal);
    private readonly HashSet<string> _resolving = new(StringComparer.Ordinal);

    public SchemaBuilder(List<RawEntity> entities, List<RawAction> actions, Dictionary<string, (RawType Type, string Ns)> commonTypes)
    {
        _entities = entities;
        _actions = actions;
        _commonTypes = commonTypes;
    }

    public CedarSchema Build()
    {
        foreach (var e in _entities)
        {
            if (!_entityNames.Add(e.Name))
            {
                throw new ParseException($"duplicate entity type {e.Name}", e.Tok.Line, e.Tok.Column);
            }
        }

        var entityTypes = new List<EntityTypeSchema>();
        foreach (var e in _entities)
        {
            var parents = e.Parents.Select(p => ResolveEntityType((RawType.Named)p, e.Ns)).ToList();
            var attrs = e.Attributes is null ? RecordType.Empty
                : Resolve(e.Attributes, e.Ns) as RecordType ?? throw new ParseException($"attributes of {e.Name} must be a record type", e.Tok.Line, e.Tok.Column);
            var tags = e.Tags is null ? null : Resolve(e.Tags, e.Ns);
            entityTypes.Add(new EntityTypeSchema(e.Name, parents, attrs, tags, e.EnumIds));
        }

        var actions = new List<ActionSchema>();
        var seenActions = new HashSet<EntityUid>();
        foreach (var a in _actions)
        {
            var actionType = a.Ns.Length == 0 ? "Action" : a.Ns + "::Action";
            var uid = new EntityUid(actionType, a.Name);
            if (!seenActions.Add(uid))
            {
                throw new ParseException($"duplicate action {uid}", a.Tok.Line, a.Tok.Column);
            }

            var parents = a.Parents.Select(p => new EntityUid(p.Type ?? actionType, p.Id)).ToList();
            var principals = a.Principals.Select(p => ResolveEntityType((RawType.Named)p, a.Ns)).ToList();
            var resources = a.Resources.Select(p => ResolveEntityType((RawType.Named)p, a.Ns)).ToList();
            var context = RecordType.Empty;
            if (a.Context is not null)
            {
                context = Resolve(a.Context, a.Ns) as RecordType ?? throw new ParseException("context type must be a record", a.Tok.Line, a.Tok.Column);
            }

            actions.Add(new ActionSchema(uid, parents, principals, resources, context));
        }

        foreach (var a in actions)
        {
            foreach (var p in a.MemberOf)
            {
                if (!seenActions.Contains(p))
                {
                    var raw = _actions.First(r => r.Name == a.Uid.Id && (r.Ns.Length == 0 ? "Action" : r.Ns + "::Action") == a.Uid.Type);
                    throw new ParseException($"undeclared parent action {p}", raw.Tok.Line, raw.Tok.Column);
                }
            }
        }

        return new CedarSchema(entityTypes, actions);
    }

    private string ResolveEntityType(RawType.Named n, string ns)
    {
        if (!n.Name.Contains("::", StringComparison.Ordinal) && ns.Length > 0 && _entityNames.Contains(ns + "::" + n.Name))
        {
            return ns + "::" + n.Name;
        }

        if (_entityNames.Contains(n.Name))
        {
            return n.Name;
        }

        throw new ParseException($"undeclared entity type {n.Name}", n.Tok.Line, n.Tok.Column);
    }

    private CedarType Resolve(RawType t, string ns)
    {
        // Chains of common types can nest arbitrarily deep; fail cleanly instead of overflowing the stack.
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new ParseException("schema types nested too deeply", 1, 1);
        }

        switch (t)
        {
            case RawType.Set s:
                return new SetType(Resolve(s.Element, ns));
            case RawType.Record r:
                {
                    var d = new Dictionary<string, AttributeType>(StringComparer.Ordinal);
                    foreach (var (_, name, required, type) in r.Attributes)
                    {
                        d[name] = new AttributeType(Resolve(type, ns), required);
                    }

                    return new RecordType(d);
                }

            default:
                return ResolveName((RawType.Named)t, ns);
        }
    }

    private CedarType ResolveName(RawType.Named n, string ns)
    {
        var name = n.Name;
        if (name.StartsWith("__cedar::", StringComparison.Ordinal))
        {
            return Builtin(name["__cedar::".Length..]) ?? throw new ParseException($"unknown builtin type {name}", n.Tok.Line, n.Tok.Column);
        }

        if (!name.Contains("::", StringComparison.Ordinal))
        {
            if (ns.Length > 0)
            {
                var q = ns + "::" + name;
                if (_commonTypes.ContainsKey(q))
                {
                    return Common(q, n);
                }

                if (_entityNames.Contains(q))
                {
                    return new EntityType(q);
                }
            }

            if (_commonTypes.ContainsKey(name))
            {
                return Common(name, n);
            }

            if (_entityNames.Contains(name))
            {
                return new EntityType(name);
            }

            return Builtin(name) ?? throw new ParseException($"unknown type {name}", n.Tok.Line, n.Tok.Column);
        }

        if (_commonTypes.ContainsKey(name))
        {
            return Common(name, n);
        }

        if (_entityNames.Contains(name))
        {
            return new EntityType(name);
        }

        throw new ParseException($"unknown type {name}", n.Tok.Line, n.Tok.Column);
    }

    private CedarType Common(string name, RawType.Named at)
    {
        if (_resolvedCommon.TryGetValue(name, out var t))
        {
            return t;
        }

        if (!_resolving.Add(name))
        {
            throw new ParseException($"cyclic common type {name}", at.Tok.Line, at.Tok.Column);
        }

        var (raw, ns) = _commonTypes[name];
        t = Resolve(raw, ns);
        _resolving.Remove(name);
        _resolvedCommon[name] = t;
        return t;
    }

    private static CedarType? Builtin(string name) => name switch
    {
        "Bool" or "Boolean" => BoolType.Any,
        "Long" => LongType.Instance,
        "String" => StringType.Instance,
        _ => ExtensionType.FromName(name),
    };
}
