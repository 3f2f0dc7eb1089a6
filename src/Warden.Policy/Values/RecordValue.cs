using System.Text;

namespace Warden.Policy.Values;

/// <summary>A Cedar record: a map from attribute names to values.</summary>
public sealed class RecordValue : Value
{
    /// <summary>The empty record.</summary>
    public static readonly RecordValue Empty = new(new Dictionary<string, Value>(StringComparer.Ordinal));

    private readonly Dictionary<string, Value> _attributes;
    private int _hash;

    /// <summary>Creates a record that takes ownership of <paramref name="attributes"/>.</summary>
    public RecordValue(Dictionary<string, Value> attributes) => _attributes = attributes;

    /// <summary>The attributes.</summary>
    public IReadOnlyDictionary<string, Value> Attributes => _attributes;

    /// <summary>The number of attributes.</summary>
    public int Count => _attributes.Count;

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Record;

    /// <summary>Looks up an attribute.</summary>
    public bool TryGet(string name, out Value value) => _attributes.TryGetValue(name, out value!);

    /// <summary>Whether the record has the attribute.</summary>
    public bool Has(string name) => _attributes.ContainsKey(name);

    /// <inheritdoc />
    public override bool Equals(Value? other)
    {
        if (other is not RecordValue r)
        {
            return false;
        }

        if (ReferenceEquals(this, r))
        {
            return true;
        }

        if (r.Count != Count)
        {
            return false;
        }

        foreach (var (k, v) in _attributes)
        {
            if (!r._attributes.TryGetValue(k, out var ov) || !ov.Equals(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            var h = 31;
            foreach (var (k, v) in _attributes)
            {
                h += HashCode.Combine(StringComparer.Ordinal.GetHashCode(k), v.GetHashCode());
            }

            _hash = h == 0 ? 1 : h;
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (k, v) in _attributes.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            sb.Append(StringValue.Quote(k)).Append(": ").Append(v);
        }

        return sb.Append('}').ToString();
    }
}
