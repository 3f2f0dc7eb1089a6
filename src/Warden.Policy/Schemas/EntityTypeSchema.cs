namespace Warden.Policy.Schemas;

/// <summary>A declared entity type.</summary>
public sealed class EntityTypeSchema
{
    /// <summary>Creates a declaration.</summary>
    public EntityTypeSchema(string name, IReadOnlyList<string> memberOfTypes, RecordType attributes, CedarType? tags, IReadOnlyList<string>? enumIds)
    {
        Name = name;
        MemberOfTypes = memberOfTypes;
        Attributes = attributes;
        Tags = tags;
        EnumIds = enumIds;
    }

    /// <summary>Fully qualified name.</summary>
    public string Name { get; }

    /// <summary>Types this entity's parents may have (direct).</summary>
    public IReadOnlyList<string> MemberOfTypes { get; }

    /// <summary>All types that can be ancestors (transitive closure of <see cref="MemberOfTypes"/>).</summary>
    public HashSet<string> AncestorTypes { get; internal set; } = new(StringComparer.Ordinal);

    /// <summary>The attribute record type.</summary>
    public RecordType Attributes { get; }

    /// <summary>The tag value type, or null when the type declares no tags.</summary>
    public CedarType? Tags { get; }

    /// <summary>For enumerated entity types, the allowed ids.</summary>
    public IReadOnlyList<string>? EnumIds { get; }
}
