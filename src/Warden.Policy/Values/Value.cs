namespace Warden.Policy.Values;

/// <summary>
/// A Cedar runtime value. Values are immutable; equality follows Cedar's structural equality.
/// </summary>
public abstract class Value : IEquatable<Value>
{
    /// <summary>The kind of value, for cheap type dispatch without type tests.</summary>
    public abstract ValueKind Kind { get; }

    /// <inheritdoc />
    public abstract bool Equals(Value? other);

    /// <inheritdoc />
    public sealed override bool Equals(object? obj) => obj is Value v && Equals(v);

    /// <inheritdoc />
    public abstract override int GetHashCode();

    /// <summary>Renders the value in Cedar syntax (used in messages and tests).</summary>
    public abstract override string ToString();

    /// <summary>A short name of the value's type, for error messages.</summary>
    public string TypeName => Kind switch
    {
        ValueKind.Bool => "bool",
        ValueKind.Long => "long",
        ValueKind.String => "string",
        ValueKind.Entity => "entity",
        ValueKind.Set => "set",
        ValueKind.Record => "record",
        ValueKind.Decimal => "decimal",
        ValueKind.IpAddr => "ipaddr",
        ValueKind.Datetime => "datetime",
        ValueKind.Duration => "duration",
        _ => "unknown",
    };
}
