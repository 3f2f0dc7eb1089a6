namespace Warden.Policy.Schemas;

/// <summary>The String type.</summary>
public sealed class StringType : CedarType
{
    /// <summary>The instance.</summary>
    public static readonly StringType Instance = new();

    private StringType()
    {
    }

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => other is StringType;

    /// <inheritdoc />
    public override int GetHashCode() => 5;

    /// <inheritdoc />
    public override string ToString() => "String";
}
