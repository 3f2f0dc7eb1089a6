using System.Globalization;

namespace Warden.Policy.Values;

/// <summary>A Cedar Long: a signed 64-bit integer.</summary>
public sealed class LongValue : Value
{
    // Small integers are cached so that common arithmetic and literals do not allocate.
    private const int CacheMin = -128;
    private const int CacheMax = 1024;
    private static readonly LongValue[] Cache = BuildCache();

    private LongValue(long value) => Value = value;

    /// <summary>The underlying integer.</summary>
    public long Value { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Long;

    /// <summary>Returns a value for <paramref name="value"/>, shared for small integers.</summary>
    public static LongValue Of(long value) =>
        value >= CacheMin && value <= CacheMax ? Cache[value - CacheMin] : new LongValue(value);

    /// <inheritdoc />
    public override bool Equals(Value? other) => other is LongValue l && l.Value == Value;

    /// <inheritdoc />
    public override int GetHashCode() => Value.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    private static LongValue[] BuildCache()
    {
        var cache = new LongValue[CacheMax - CacheMin + 1];
        for (var i = 0; i < cache.Length; i++)
        {
            cache[i] = new LongValue(i + CacheMin);
        }

        return cache;
    }
}
