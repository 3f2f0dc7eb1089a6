using System.Runtime.CompilerServices;
using System.Text.Json;
using Warden.Policy.Schemas;
using static Warden.Policy.Parsing.SchemaParser;

namespace Warden.Policy.Parsing;

/// <summary>Parser for Cedar's JSON schema format; shares name resolution with the human-readable parser.</summary>
internal static class JsonSchemaParser
{
    private static readonly Token NoPos = new(TokenKind.Identifier, string.Empty, 1, 1);

    public static CedarSchema Parse(string json)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ParseException("invalid JSON: " + ex.Message, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1);
        }

        using (doc)
        {
            try
            {
                return Build(doc.RootElement);
            }
            catch (InvalidOperationException ex)
            {
                throw new ParseException("invalid JSON schema: " + ex.Message, 1, 1);
            }
            catch (KeyNotFoundException ex)
            {
                throw new ParseException("invalid JSON schema: " + ex.Message, 1, 1);
            }
            catch (InsufficientExecutionStackException)
            {
                throw new ParseException("invalid JSON schema: types nested too deeply", 1, 1);
            }
        }
    }

    private static CedarSchema Build(JsonElement root)
    {
        var entities = new List<RawEntity>();
        var actions = new List<RawAction>();
        var common = new Dictionary<string, (RawType Type, string Ns)>(StringComparer.Ordinal);
        foreach (var nsProp in root.EnumerateObject())
        {
            var ns = nsProp.Name;
            var body = nsProp.Value;
            if (body.TryGetProperty("commonTypes", out var cts))
            {
                foreach (var ct in cts.EnumerateObject())
                {
                    common[Qualify(ns, ct.Name)] = (Type(ct.Value), ns);
                }
            }

            if (body.TryGetProperty("entityTypes", out var ets))
            {
                foreach (var et in ets.EnumerateObject())
                {
                    var v = et.Value;
                    var parents = new List<RawType>();
                    if (v.TryGetProperty("memberOfTypes", out var mo))
                    {
                        foreach (var p in mo.EnumerateArray())
                        {
                            parents.Add(new RawType.Named(NoPos, Str(p)));
                        }
                    }

                    RawType? shape = v.TryGetProperty("shape", out var sh) ? Type(sh) : null;
                    RawType? tags = v.TryGetProperty("tags", out var tg) ? Type(tg) : null;
                    List<string>? enumIds = v.TryGetProperty("enum", out var en) ? [.. en.EnumerateArray().Select(e => Str(e))] : null;
                    entities.Add(new RawEntity(NoPos, ns, Qualify(ns, et.Name), parents, shape, tags, enumIds));
                }
            }

            if (body.TryGetProperty("actions", out var acts))
            {
                foreach (var a in acts.EnumerateObject())
                {
                    var v = a.Value;
                    var parents = new List<(Token, string?, string)>();
                    if (v.TryGetProperty("memberOf", out var mo))
                    {
                        foreach (var p in mo.EnumerateArray())
                        {
                            var type = p.TryGetProperty("type", out var t) ? Str(t) : null;
                            parents.Add((NoPos, type, Str(p.GetProperty("id"))));
                        }
                    }

                    var principals = new List<RawType>();
                    var resources = new List<RawType>();
                    RawType? context = null;
                    if (v.TryGetProperty("appliesTo", out var at) && at.ValueKind == JsonValueKind.Object)
                    {
                        if (at.TryGetProperty("principalTypes", out var pt))
                        {
                            principals.AddRange(pt.EnumerateArray().Select(x => (RawType)new RawType.Named(NoPos, Str(x))));
                        }

                        if (at.TryGetProperty("resourceTypes", out var rt))
                        {
                            resources.AddRange(rt.EnumerateArray().Select(x => (RawType)new RawType.Named(NoPos, Str(x))));
                        }

                        if (at.TryGetProperty("context", out var cx))
                        {
                            context = Type(cx);
                        }
                    }

                    actions.Add(new RawAction(NoPos, ns, a.Name, parents, principals, resources, context));
                }
            }
        }

        return new SchemaBuilder(entities, actions, common).Build();
    }

    private static string Str(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw new InvalidOperationException($"expected a string, found {e.ValueKind}");

    private static string Qualify(string ns, string name) => ns.Length == 0 ? name : ns + "::" + name;

    private static RawType Type(JsonElement t)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var kind = Str(t.GetProperty("type"));
        switch (kind)
        {
            case "Long":
            case "String":
            case "Boolean":
            case "Bool":
                return new RawType.Named(NoPos, "__cedar::" + kind);
            case "Set":
                return new RawType.Set(Type(t.GetProperty("element")));
            case "Record":
                {
                    var attrs = new List<(Token, string, bool, RawType)>();
                    if (t.TryGetProperty("attributes", out var a))
                    {
                        foreach (var p in a.EnumerateObject())
                        {
                            var required = !p.Value.TryGetProperty("required", out var r) || r.GetBoolean();
                            attrs.Add((NoPos, p.Name, required, Type(p.Value)));
                        }
                    }

                    return new RawType.Record(attrs);
                }

            case "Entity":
            case "EntityOrCommon":
                return new RawType.Named(NoPos, Str(t.GetProperty("name")));
            case "Extension":
                return new RawType.Named(NoPos, "__cedar::" + Str(t.GetProperty("name")));
            default:
                return new RawType.Named(NoPos, kind);
        }
    }
}
