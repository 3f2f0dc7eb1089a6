namespace Warden.Policy.Values;

/// <summary>A Cedar boolean. Only two instances exist, so evaluation never allocates booleans.</summary>
public sealed class BoolValue : Value
{
    /// <summary>The value <c>true</c>.</summary>
    public static readonly BoolValue True = new(true);

    /// <summary>The value <c>false</c>.</summary>
    public static readonly BoolValue False = new(false);

    private BoolValue(bool value) => Value = value;

    /// <summary>The underlying boolean.</summary>
    public bool Value { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Bool;

    /// <summary>Returns the shared instance for <paramref name="value"/>.</summary>
    public static BoolValue Of(bool value) => value ? True : False;

    /// <inheritdoc />
    public override bool Equals(Value? other) => ReferenceEquals(this, other);

    /// <inheritdoc />
    public override int GetHashCode() => Value ? 1 : 0;

    /// <inheritdoc />
    public override string ToString() => Value ? "true" : "false";
}
