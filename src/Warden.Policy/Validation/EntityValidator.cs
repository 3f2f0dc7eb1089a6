using Warden.Policy.Entities;
using Warden.Policy.Schemas;

namespace Warden.Policy.Validation;

/// <summary>
/// Checks entity data against a schema as Cedar does when entities are loaded with a schema: declared types,
/// enumerated ids, attributes (required, no extras, types), parent types and tags.
/// </summary>
public static class EntityValidator
{
    /// <summary>Returns the problems found in one entity; empty when it conforms.</summary>
    public static IReadOnlyList<string> Validate(Entity entity, CedarSchema schema)
    {
        var problems = new List<string>();
        var uid = entity.Uid;
        if (schema.ActionTypes.Contains(uid.Type))
        {
            if (!schema.Actions.ContainsKey(uid))
            {
                problems.Add($"action {uid} is not declared in the schema");
            }

            return problems;
        }

        if (!schema.EntityTypes.TryGetValue(uid.Type, out var et))
        {
            problems.Add($"entity type {uid.Type} of {uid} is not declared in the schema");
            return problems;
        }

        if (et.EnumIds is not null && !et.EnumIds.Contains(uid.Id))
        {
            problems.Add($"{uid} is not one of the enumerated ids of {uid.Type}");
        }

        foreach (var (name, at) in et.Attributes.Attributes)
        {
            if (entity.Attributes.TryGetValue(name, out var v))
            {
                if (!RequestValidator.Conforms(v, at.Type, schema))
                {
                    problems.Add($"attribute {name} of {uid} does not have type {at.Type}");
                }
            }
            else if (at.Required)
            {
                problems.Add($"{uid} is missing required attribute {name}");
            }
        }

        foreach (var name in entity.Attributes.Keys)
        {
            if (!et.Attributes.Attributes.ContainsKey(name))
            {
                problems.Add($"{uid} has attribute {name}, which its type does not declare");
            }
        }

        foreach (var p in entity.Parents)
        {
            if (!et.MemberOfTypes.Contains(p.Type))
            {
                problems.Add($"{uid} cannot have a parent of type {p.Type}");
            }
        }

        if (entity.Tags.Count > 0)
        {
            if (et.Tags is null)
            {
                problems.Add($"{uid} has tags, but its type declares none");
            }
            else
            {
                foreach (var (k, v) in entity.Tags)
                {
                    if (!RequestValidator.Conforms(v, et.Tags, schema))
                    {
                        problems.Add($"tag {k} of {uid} does not have type {et.Tags}");
                    }
                }
            }
        }

        return problems;
    }
}
