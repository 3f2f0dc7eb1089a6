namespace Warden.Policy.Schemas;

/// <summary>Boolean type, refined by the validator to the singleton types True and False.</summary>
public sealed class BoolType : CedarType
{
    /// <summary>Any boolean.</summary>
    public static readonly BoolType Any = new(null);

    /// <summary>Only <c>true</c>.</summary>
    public static readonly BoolType True = new(true);

    /// <summary>Only <c>false</c>.</summary>
    public static readonly BoolType False = new(false);

    private BoolType(bool? singleton) => Singleton = singleton;

    /// <summary>Null for any boolean, otherwise the only possible value.</summary>
    public bool? Singleton { get; }

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => other is BoolType b && b.Singleton == Singleton;

    /// <inheritdoc />
    public override int GetHashCode() => Singleton switch { null => 1, true => 2, false => 3 };

    /// <inheritdoc />
    public override string ToString() => Singleton switch { null => "Bool", true => "True", false => "False" };
}
