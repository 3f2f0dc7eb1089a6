using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Validation;

/// <summary>Checks a request against a schema: known action, allowed principal/resource types, context shape.</summary>
public static class RequestValidator
{
    /// <summary>Returns the problems found; empty when the request conforms.</summary>
    public static IReadOnlyList<string> Validate(AuthorizationRequest request, CedarSchema schema)
    {
        var problems = new List<string>();
        if (!schema.Actions.TryGetValue(request.Action, out var action))
        {
            problems.Add($"unknown action {request.Action}");
            return problems;
        }

        if (!action.PrincipalTypes.Contains(request.Principal.Type))
        {
            problems.Add($"principal type {request.Principal.Type} is not allowed for {request.Action}");
        }
        else if (!schema.IsValidEntityUid(request.Principal))
        {
            problems.Add($"principal {request.Principal} is not a valid entity of its enumerated type");
        }

        if (!action.ResourceTypes.Contains(request.Resource.Type))
        {
            problems.Add($"resource type {request.Resource.Type} is not allowed for {request.Action}");
        }
        else if (!schema.IsValidEntityUid(request.Resource))
        {
            problems.Add($"resource {request.Resource} is not a valid entity of its enumerated type");
        }

        if (!Conforms(request.Context, action.Context, schema))
        {
            problems.Add($"context does not conform to {action.Context}");
        }

        return problems;
    }

    /// <summary>Whether a value has the given schema type.</summary>
    public static bool Conforms(Value v, CedarType t, CedarSchema schema)
    {
        switch (t)
        {
            case BoolType:
                return v is BoolValue;
            case LongType:
                return v is LongValue;
            case StringType:
                return v is StringValue;
            case EntityType et:
                return v is EntityUid u && string.Equals(u.Type, et.Name, StringComparison.Ordinal);
            case ExtensionType x:
                return x.Name switch
                {
                    "ipaddr" => v is IpAddrValue,
                    "decimal" => v is DecimalValue,
                    "datetime" => v is DatetimeValue,
                    _ => v is DurationValue,
                };
            case SetType st:
                return v is SetValue s && s.Items.All(i => Conforms(i, st.Element, schema));
            case RecordType rt:
                if (v is not RecordValue r)
                {
                    return false;
                }

                foreach (var (k, at) in rt.Attributes)
                {
                    if (r.TryGet(k, out var av))
                    {
                        if (!Conforms(av, at.Type, schema))
                        {
                            return false;
                        }
                    }
                    else if (at.Required)
                    {
                        return false;
                    }
                }

                return r.Attributes.Keys.All(rt.Attributes.ContainsKey);
            default:
                return false;
        }
    }
}
