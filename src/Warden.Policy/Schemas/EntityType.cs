namespace Warden.Policy.Schemas;

/// <summary>An entity type.</summary>
public sealed class EntityType(string name) : CedarType
{
    /// <summary>Fully qualified type name.</summary>
    public string Name { get; } = name;

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => other is EntityType e && string.Equals(e.Name, Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc />
    public override string ToString() => Name;
}
