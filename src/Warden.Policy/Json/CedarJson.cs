using System.Text.Json;
using Warden.Policy.Ast;
using Warden.Policy.Entities;
using Warden.Policy.Parsing;
using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Json;

/// <summary>
/// Reads Cedar's JSON formats for entities, entity uids and values. With a schema, values are interpreted by
/// their declared types: a plain string where an extension type is expected is passed to its constructor, and a
/// bare <c>{"type", "id"}</c> object where an entity is expected is an entity reference.
/// Malformed input throws <see cref="ParseException"/>.
/// </summary>
public static class CedarJson
{
    /// <summary>
    /// Parses an entity array (Cedar entities JSON). With a schema, values are interpreted by their declared
    /// types, the schema's action entities are added, and (unless <paramref name="validate"/> is false) every
    /// entity must conform to the schema.
    /// </summary>
    public static EntityStore ParseEntities(string json, CedarSchema? schema = null, bool validate = true)
    {
        using var doc = ParseDocument(json);
        return ParseEntities(doc.RootElement, schema, validate);
    }

    /// <summary>Parses an entity array from a JSON element.</summary>
    public static EntityStore ParseEntities(JsonElement root, CedarSchema? schema = null, bool validate = true)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw Fail("entities JSON must be an array");
        }

        var list = new List<Entity>();
        var byUid = new Dictionary<EntityUid, int>();
        if (schema is not null)
        {
            foreach (var a in schema.ActionEntities())
            {
                byUid[a.Uid] = list.Count;
                list.Add(a);
            }
        }

        foreach (var e in root.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Fail("each entity must be a JSON object");
            }

            var uid = ParseEntityUid(Get(e, "uid"));
            EntityTypeSchema? et = null;
            schema?.EntityTypes.TryGetValue(uid.Type, out et);
            var attrs = new Dictionary<string, Value>(StringComparer.Ordinal);
            if (e.TryGetProperty("attrs", out var a) && a.ValueKind != JsonValueKind.Null)
            {
                if (a.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("entity attrs must be an object");
                }

                foreach (var p in a.EnumerateObject())
                {
                    CedarType? expected = null;
                    if (et is not null && et.Attributes.Attributes.TryGetValue(p.Name, out var at))
                    {
                        expected = at.Type;
                    }

                    attrs[p.Name] = ParseValue(p.Value, expected);
                }
            }

            var parents = new List<EntityUid>();
            if (e.TryGetProperty("parents", out var ps) && ps.ValueKind != JsonValueKind.Null)
            {
                if (ps.ValueKind != JsonValueKind.Array)
                {
                    throw Fail("entity parents must be an array");
                }

                foreach (var p in ps.EnumerateArray())
                {
                    parents.Add(ParseEntityUid(p));
                }
            }

            Dictionary<string, Value>? tags = null;
            if (e.TryGetProperty("tags", out var ts) && ts.ValueKind != JsonValueKind.Null)
            {
                if (ts.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("entity tags must be an object");
                }

                tags = new Dictionary<string, Value>(StringComparer.Ordinal);
                foreach (var p in ts.EnumerateObject())
                {
                    tags[p.Name] = ParseValue(p.Value, et?.Tags);
                }
            }

            if (byUid.TryGetValue(uid, out var idx))
            {
                if (schema is null || !schema.ActionTypes.Contains(uid.Type))
                {
                    throw Fail($"duplicate entity {uid}");
                }

                // Cedar rejects action data whose ancestors contradict the schema's action hierarchy.
                if (validate && schema.Actions.TryGetValue(uid, out var declared) && !declared.Ancestors.SetEquals(ActionClosure(parents, schema)))
                {
                    throw Fail($"entity data for action {uid} does not match its declaration in the schema");
                }

                // An action both declared in the schema and listed in the data: merge parents.
                var prev = list[idx];
                list[idx] = new Entity(uid, attrs.Count > 0 ? attrs : prev.Attributes, prev.Parents.Concat(parents).Distinct(), tags ?? prev.Tags);
            }
            else
            {
                byUid[uid] = list.Count;
                list.Add(new Entity(uid, attrs, parents, tags));
            }
        }

        if (schema is not null && validate)
        {
            foreach (var e in list)
            {
                var problems = Validation.EntityValidator.Validate(e, schema);
                if (problems.Count > 0)
                {
                    throw Fail(problems[0]);
                }
            }
        }

        return new EntityStore(list);
    }

    private static HashSet<EntityUid> ActionClosure(List<EntityUid> parents, CedarSchema schema)
    {
        var closure = new HashSet<EntityUid>(parents);
        foreach (var p in parents)
        {
            if (schema.Actions.TryGetValue(p, out var a))
            {
                closure.UnionWith(a.Ancestors);
            }
        }

        return closure;
    }

    /// <summary>Parses an entity uid: <c>{"type", "id"}</c> or <c>{"__entity": {"type", "id"}}</c>.</summary>
    public static EntityUid ParseEntityUid(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw Fail("entity uid must be an object");
        }

        if (e.TryGetProperty("__entity", out var inner))
        {
            e = inner;
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Fail("__entity must be an object");
            }
        }

        var type = Get(e, "type");
        var id = Get(e, "id");
        if (type.ValueKind != JsonValueKind.String || id.ValueKind != JsonValueKind.String)
        {
            throw Fail("entity uid type and id must be strings");
        }

        return new EntityUid(type.GetString()!, id.GetString()!);
    }

    /// <summary>Parses a request context object, using the action's declared context type when known.</summary>
    public static RecordValue ParseContext(JsonElement e, RecordType? type = null)
    {
        if (e.ValueKind == JsonValueKind.Null || e.ValueKind == JsonValueKind.Undefined)
        {
            return RecordValue.Empty;
        }

        var v = ParseValue(e, type);
        return v as RecordValue ?? throw Fail("context must be a record");
    }

    /// <summary>Parses a JSON value, guided by the expected type when one is given.</summary>
    public static Value ParseValue(JsonElement e, CedarType? expected = null)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.True:
                return BoolValue.True;
            case JsonValueKind.False:
                return BoolValue.False;
            case JsonValueKind.Number:
                return e.TryGetInt64(out var l) ? LongValue.Of(l) : throw Fail($"number {e.GetRawText()} is not a 64-bit integer");
            case JsonValueKind.String:
                {
                    var s = e.GetString()!;
                    if (expected is ExtensionType ext)
                    {
                        var fn = ext.Name switch
                        {
                            "ipaddr" => ExtensionFunction.Ip,
                            "decimal" => ExtensionFunction.Decimal,
                            "datetime" => ExtensionFunction.Datetime,
                            _ => ExtensionFunction.Duration,
                        };
                        return ExtensionFunctions.Construct(fn, s) ?? throw Fail($"invalid {ext.Name} value {StringValue.Quote(s)}");
                    }

                    return new StringValue(s);
                }

            case JsonValueKind.Array:
                {
                    var el = (expected as SetType)?.Element;
                    var items = new List<Value>();
                    foreach (var x in e.EnumerateArray())
                    {
                        items.Add(ParseValue(x, el));
                    }

                    return SetValue.Create(items);
                }

            case JsonValueKind.Object:
                return ParseObject(e, expected);
            default:
                throw Fail("null is not a Cedar value");
        }
    }

    private static Value ParseObject(JsonElement e, CedarType? expected)
    {
        if (e.TryGetProperty("__entity", out _))
        {
            return ParseEntityUid(e);
        }

        if (e.TryGetProperty("__extn", out var extn))
        {
            return ParseExtension(extn);
        }

        if (expected is EntityType)
        {
            return ParseEntityUid(e);
        }

        if (expected is ExtensionType)
        {
            // Some producers write the bare {"fn", "arg"} form where the schema says extension.
            if (e.TryGetProperty("fn", out _))
            {
                return ParseExtension(e);
            }
        }

        var rt = expected as RecordType;
        var d = new Dictionary<string, Value>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            CedarType? at = null;
            if (rt is not null && rt.Attributes.TryGetValue(p.Name, out var a))
            {
                at = a.Type;
            }

            d[p.Name] = ParseValue(p.Value, at);
        }

        return new RecordValue(d);
    }

    private static Value ParseExtension(JsonElement extn)
    {
        if (extn.ValueKind != JsonValueKind.Object)
        {
            throw Fail("__extn must be an object");
        }

        var fnEl = Get(extn, "fn");
        if (fnEl.ValueKind != JsonValueKind.String)
        {
            throw Fail("__extn fn must be a string");
        }

        var name = fnEl.GetString()!;
        var args = new List<Value>();
        if (extn.TryGetProperty("arg", out var arg))
        {
            args.Add(ParseValue(arg));
        }
        else if (extn.TryGetProperty("args", out var argsEl) && argsEl.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in argsEl.EnumerateArray())
            {
                args.Add(ParseValue(a));
            }
        }

        if (!ExtensionFunctions.TryGetConstructor(name, out var fn) && !ExtensionFunctions.TryGetMethod(name, out fn))
        {
            throw Fail($"unknown extension function {name}");
        }

        if (args.Count != ExtensionFunctions.Arity(fn))
        {
            throw Fail($"extension function {name} expects {ExtensionFunctions.Arity(fn)} argument(s)");
        }

        try
        {
            return ExtensionFunctions.Apply(fn, args[0], args.Count > 1 ? args[1] : null);
        }
        catch (Evaluation.EvaluationException ex)
        {
            throw Fail(ex.Message);
        }
    }

    private static JsonElement Get(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v : throw Fail($"missing field \"{name}\"");

    private static JsonDocument ParseDocument(string json)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException ex)
        {
            throw new ParseException("invalid JSON: " + ex.Message, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1);
        }
    }

    private static ParseException Fail(string message) => new(message, 0, 0);
}
