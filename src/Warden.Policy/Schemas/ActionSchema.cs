using Warden.Policy.Values;

namespace Warden.Policy.Schemas;

/// <summary>A declared action.</summary>
public sealed class ActionSchema
{
    /// <summary>Creates a declaration.</summary>
    public ActionSchema(EntityUid uid, IReadOnlyList<EntityUid> memberOf, IReadOnlyList<string> principalTypes, IReadOnlyList<string> resourceTypes, RecordType context)
    {
        Uid = uid;
        MemberOf = memberOf;
        PrincipalTypes = principalTypes;
        ResourceTypes = resourceTypes;
        Context = context;
    }

    /// <summary>The action uid, e.g. <c>Ns::Action::"view"</c>.</summary>
    public EntityUid Uid { get; }

    /// <summary>Direct parent action groups.</summary>
    public IReadOnlyList<EntityUid> MemberOf { get; }

    /// <summary>All ancestor action groups.</summary>
    public HashSet<EntityUid> Ancestors { get; internal set; } = [];

    /// <summary>Principal types the action applies to.</summary>
    public IReadOnlyList<string> PrincipalTypes { get; }

    /// <summary>Resource types the action applies to.</summary>
    public IReadOnlyList<string> ResourceTypes { get; }

    /// <summary>The context record type.</summary>
    public RecordType Context { get; }
}
