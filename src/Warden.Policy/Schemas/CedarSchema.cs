using Warden.Policy.Entities;
using Warden.Policy.Parsing;
using Warden.Policy.Values;

namespace Warden.Policy.Schemas;

/// <summary>A Cedar schema: entity types and actions.</summary>
public sealed class CedarSchema
{
    /// <summary>Creates a schema and closes the entity-type and action hierarchies.</summary>
    public CedarSchema(IEnumerable<EntityTypeSchema> entityTypes, IEnumerable<ActionSchema> actions)
    {
        EntityTypes = entityTypes.ToDictionary(e => e.Name, StringComparer.Ordinal);
        Actions = actions.ToDictionary(a => a.Uid);
        foreach (var et in EntityTypes.Values)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var stack = new Stack<string>(et.MemberOfTypes);
            while (stack.Count > 0)
            {
                var t = stack.Pop();
                if (seen.Add(t) && EntityTypes.TryGetValue(t, out var parent))
                {
                    foreach (var p in parent.MemberOfTypes)
                    {
                        stack.Push(p);
                    }
                }
            }

            et.AncestorTypes = seen;
        }

        foreach (var a in Actions.Values)
        {
            var seen = new HashSet<EntityUid>();
            var stack = new Stack<EntityUid>(a.MemberOf);
            while (stack.Count > 0)
            {
                var t = stack.Pop();
                if (seen.Add(t) && Actions.TryGetValue(t, out var parent))
                {
                    foreach (var p in parent.MemberOf)
                    {
                        stack.Push(p);
                    }
                }
            }

            a.Ancestors = seen;
        }

        ActionTypes = new HashSet<string>(Actions.Keys.Select(k => k.Type), StringComparer.Ordinal);
    }

    /// <summary>Entity types by fully qualified name.</summary>
    public IReadOnlyDictionary<string, EntityTypeSchema> EntityTypes { get; }

    /// <summary>Actions by uid.</summary>
    public IReadOnlyDictionary<EntityUid, ActionSchema> Actions { get; }

    /// <summary>Entity type names used by actions (e.g. <c>Action</c>, <c>Ns::Action</c>).</summary>
    public IReadOnlySet<string> ActionTypes { get; }

    /// <summary>
    /// Parses the human-readable <c>.cedarschema</c> format. Throws <see cref="ParseException"/> on malformed input
    /// or unresolvable type names.
    /// </summary>
    public static CedarSchema Parse(string text) => SchemaParser.Parse(text);

    /// <summary>Parses the human-readable schema format without throwing.</summary>
    public static bool TryParse(string text, out CedarSchema? schema, out ParseError? error)
    {
        try
        {
            schema = Parse(text);
            error = null;
            return true;
        }
        catch (ParseException ex)
        {
            schema = null;
            error = ex.Error;
            return false;
        }
    }

    /// <summary>Parses the JSON schema format. Throws <see cref="ParseException"/> on malformed input.</summary>
    public static CedarSchema ParseJson(string json) => JsonSchemaParser.Parse(json);

    /// <summary>The action entities implied by the schema, with their action-group parents.</summary>
    public IEnumerable<Entity> ActionEntities() => Actions.Values.Select(a => new Entity(a.Uid, null, a.MemberOf));

    /// <summary>Whether entity type <paramref name="descendant"/> can be in <paramref name="ancestor"/> (reflexive).</summary>
    public bool IsDescendantType(string descendant, string ancestor) =>
        string.Equals(descendant, ancestor, StringComparison.Ordinal) ||
        (EntityTypes.TryGetValue(descendant, out var et) && et.AncestorTypes.Contains(ancestor));

    /// <summary>Whether action <paramref name="action"/> is (reflexively, transitively) in <paramref name="group"/>.</summary>
    public bool IsDescendantAction(EntityUid action, EntityUid group) =>
        action.Equals(group) || (Actions.TryGetValue(action, out var a) && a.Ancestors.Contains(group));

    /// <summary>Whether a uid names a declared entity (respecting enum ids) or action.</summary>
    public bool IsValidEntityUid(EntityUid uid)
    {
        if (EntityTypes.TryGetValue(uid.Type, out var et))
        {
            return et.EnumIds is null || et.EnumIds.Contains(uid.Id);
        }

        return Actions.ContainsKey(uid);
    }
}
