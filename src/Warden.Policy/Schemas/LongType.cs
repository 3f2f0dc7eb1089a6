namespace Warden.Policy.Schemas;

/// <summary>The Long type.</summary>
public sealed class LongType : CedarType
{
    /// <summary>The instance.</summary>
    public static readonly LongType Instance = new();

    private LongType()
    {
    }

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => other is LongType;

    /// <inheritdoc />
    public override int GetHashCode() => 4;

    /// <inheritdoc />
    public override string ToString() => "Long";
}
