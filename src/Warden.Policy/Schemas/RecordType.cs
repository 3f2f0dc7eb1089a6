using System.Text;

namespace Warden.Policy.Schemas;

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
