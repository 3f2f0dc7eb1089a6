using Warden.Policy.Values;

namespace Warden.Policy.Entities;

/// <summary>An entity: its uid, attributes, direct parents and tags.</summary>
public sealed class Entity
{
    private static readonly Dictionary<string, Value> NoValues = new(StringComparer.Ordinal);

    /// <summary>Creates an entity.</summary>
    public Entity(EntityUid uid, IReadOnlyDictionary<string, Value>? attributes = null, IEnumerable<EntityUid>? parents = null, IReadOnlyDictionary<string, Value>? tags = null)
    {
        Uid = uid;
        Attributes = attributes ?? NoValues;
        Parents = parents is null ? [] : [.. parents];
        Tags = tags ?? NoValues;
    }

    /// <summary>The entity's uid.</summary>
    public EntityUid Uid { get; }

    /// <summary>The attributes.</summary>
    public IReadOnlyDictionary<string, Value> Attributes { get; }

    /// <summary>Direct parents.</summary>
    public IReadOnlyList<EntityUid> Parents { get; }

    /// <summary>Tags (Cedar 4 entity tags).</summary>
    public IReadOnlyDictionary<string, Value> Tags { get; }
}
