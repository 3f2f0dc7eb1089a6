using System.Text;

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

/// <summary>An attribute's type and whether it is required.</summary>
/// <param name="Type">The attribute type.</param>
/// <param name="Required">False for optional (<c>?</c>) attributes.</param>
public sealed record AttributeType(CedarType Type, bool Required);

/// <summary>A record type. Records declared in schemas are closed: no other attributes exist.</summary>
public sealed class RecordType(IReadOnlyDictionary<string, AttributeType> attributes) : CedarType
{
    /// <summary>The empty record type.</summary>
    public static readonly RecordType Empty = new(new Dictionary<string, AttributeType>(StringComparer.Ordinal));

    /// <summary>The attributes.</summary>
    public IReadOnlyDictionary<string, AttributeType> Attributes { get; } = attributes;

    /// <inheritdoc />
    public override bool Equals(CedarType? other)
    {
        if (other is not RecordType r || r.Attributes.Count != Attributes.Count)
        {
            return false;
        }

        foreach (var (k, v) in Attributes)
        {
            if (!r.Attributes.TryGetValue(k, out var o) || o.Required != v.Required || !o.Type.Equals(v.Type))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = 7;
        foreach (var (k, v) in Attributes)
        {
            h += HashCode.Combine(StringComparer.Ordinal.GetHashCode(k), v.Required, v.Type);
        }

        return h;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (k, v) in Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            sb.Append(first ? string.Empty : ", ").Append(k).Append(v.Required ? ": " : "?: ").Append(v.Type);
            first = false;
        }

        return sb.Append('}').ToString();
    }
}
