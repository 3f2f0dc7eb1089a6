using System.Text;

namespace Warden.Policy.Values;

/// <summary>A Cedar set: distinct values, order irrelevant for equality.</summary>
public sealed class SetValue : Value
{
    // Linear scans beat hashing for the tiny sets typical in policies.
    private const int HashThreshold = 8;

    /// <summary>The empty set.</summary>
    public static readonly SetValue Empty = new([], null);

    private readonly Value[] _items;
    private readonly HashSet<Value>? _lookup;
    private int _hash;

    private SetValue(Value[] items, HashSet<Value>? lookup)
    {
        _items = items;
        _lookup = lookup;
    }

    /// <summary>The distinct elements.</summary>
    public IReadOnlyList<Value> Items => _items;

    /// <summary>The distinct elements as a span (no enumerator allocation).</summary>
    public ReadOnlySpan<Value> AsSpan() => _items;

    /// <summary>The number of distinct elements.</summary>
    public int Count => _items.Length;

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Set;

    /// <summary>Builds a set from values, removing duplicates.</summary>
    public static SetValue Create(IEnumerable<Value> values)
    {
        var list = new List<Value>();
        HashSet<Value>? seen = null;
        foreach (var v in values)
        {
            if (seen is not null)
            {
                if (seen.Add(v))
                {
                    list.Add(v);
                }

                continue;
            }

            var dup = false;
            foreach (var existing in list)
            {
                if (existing.Equals(v))
                {
                    dup = true;
                    break;
                }
            }

            if (!dup)
            {
                list.Add(v);
                if (list.Count > HashThreshold)
                {
                    seen = new HashSet<Value>(list);
                }
            }
        }

        if (list.Count == 0)
        {
            return Empty;
        }

        return new SetValue([.. list], seen);
    }

    /// <summary>Whether the set contains <paramref name="value"/>.</summary>
    public bool Contains(Value value)
    {
        if (_lookup is not null)
        {
            return _lookup.Contains(value);
        }

        foreach (var item in _items)
        {
            if (item.Equals(value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether every element of <paramref name="other"/> is in this set.</summary>
    public bool ContainsAll(SetValue other)
    {
        foreach (var item in other._items)
        {
            if (!Contains(item))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether any element of <paramref name="other"/> is in this set.</summary>
    public bool ContainsAny(SetValue other)
    {
        foreach (var item in other._items)
        {
            if (Contains(item))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public override bool Equals(Value? other) =>
        other is SetValue s && (ReferenceEquals(this, s) || (s.Count == Count && ContainsAll(s)));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_hash == 0)
        {
            // Order-independent combination so that equal sets hash equally.
            var h = 17;
            foreach (var item in _items)
            {
                h += item.GetHashCode();
            }

            _hash = h == 0 ? 1 : h;
        }

        return _hash;
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder("[");
        for (var i = 0; i < _items.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(", ");
            }

            sb.Append(_items[i]);
        }

        return sb.Append(']').ToString();
    }
}
