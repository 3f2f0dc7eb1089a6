namespace Warden.Policy.Schemas;

/// <summary>A set type.</summary>
public sealed class SetType(CedarType element) : CedarType
{
    /// <summary>Element type.</summary>
    public CedarType Element { get; } = element;

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => other is SetType s && s.Element.Equals(Element);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(6, Element);

    /// <inheritdoc />
    public override string ToString() => $"Set<{Element}>";
}
