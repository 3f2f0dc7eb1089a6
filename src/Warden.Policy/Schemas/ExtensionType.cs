namespace Warden.Policy.Schemas;

/// <summary>An extension type: <c>ipaddr</c>, <c>decimal</c>, <c>datetime</c> or <c>duration</c>.</summary>
public sealed class ExtensionType : CedarType
{
    /// <summary><c>ipaddr</c>.</summary>
    public static readonly ExtensionType IpAddr = new("ipaddr");

    /// <summary><c>decimal</c>.</summary>
    public static readonly ExtensionType Decimal = new("decimal");

    /// <summary><c>datetime</c>.</summary>
    public static readonly ExtensionType Datetime = new("datetime");

    /// <summary><c>duration</c>.</summary>
    public static readonly ExtensionType Duration = new("duration");

    private ExtensionType(string name) => Name = name;

    /// <summary>The extension type name.</summary>
    public string Name { get; }

    /// <summary>Looks up an extension type by name.</summary>
    public static ExtensionType? FromName(string name) => name switch
    {
        "ipaddr" => IpAddr,
        "decimal" => Decimal,
        "datetime" => Datetime,
        "duration" => Duration,
        _ => null,
    };

    /// <inheritdoc />
    public override bool Equals(CedarType? other) => ReferenceEquals(this, other);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <inheritdoc />
    public override string ToString() => Name;
}
