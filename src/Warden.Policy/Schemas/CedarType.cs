namespace Warden.Policy.Schemas;

/// <summary>A Cedar type, as declared in schemas and inferred by the validator. Types compare structurally.</summary>
public abstract class CedarType : IEquatable<CedarType>
{
    /// <inheritdoc />
    public abstract bool Equals(CedarType? other);

    /// <inheritdoc />
    public sealed override bool Equals(object? obj) => obj is CedarType t && Equals(t);

    /// <inheritdoc />
    public abstract override int GetHashCode();

    /// <inheritdoc />
    public abstract override string ToString();
}
