using System.Globalization;

namespace Warden.Policy.Values;

/// <summary>The Cedar <c>decimal</c> extension value: a fixed-point number with four fractional digits.</summary>
public sealed class DecimalValue : Value
{
    /// <summary>Scale factor: the raw value is the decimal times 10^4.</summary>
    public const long Scale = 10_000;

    /// <summary>Creates a decimal from its raw (scaled) representation.</summary>
    public DecimalValue(long raw) => Raw = raw;

    /// <summary>The decimal multiplied by 10^4.</summary>
    public long Raw { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Decimal;

    /// <summary>
    /// Parses Cedar decimal syntax: an optional minus, one or more digits, a dot, and one to four digits.
    /// </summary>
    public static bool TryParse(string s, out DecimalValue? value)
    {
        value = null;
        var dot = s.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0 || s.IndexOf('.', dot + 1) >= 0)
        {
            return false;
        }

        var negative = s.Length > 0 && s[0] == '-';
        var intStart = negative ? 1 : 0;
        var intLen = dot - intStart;
        var fracLen = s.Length - dot - 1;
        if (intLen < 1 || fracLen < 1 || fracLen > 4)
        {
            return false;
        }

        Int128 whole = 0;
        for (var i = intStart; i < dot; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            whole = (whole * 10) + (s[i] - '0');
            if (whole > long.MaxValue)
            {
                return false;
            }
        }

        long frac = 0;
        for (var i = dot + 1; i < s.Length; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            frac = (frac * 10) + (s[i] - '0');
        }

        for (var i = fracLen; i < 4; i++)
        {
            frac *= 10;
        }

        var total = (whole * Scale) + frac;
        if (negative)
        {
            total = -total;
        }

        if (total > long.MaxValue || total < long.MinValue)
        {
            return false;
        }

        value = new DecimalValue((long)total);
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(Value? other) => other is DecimalValue d && d.Raw == Raw;

    /// <inheritdoc />
    public override int GetHashCode() => Raw.GetHashCode();

    /// <inheritdoc />
    public override string ToString()
    {
        var abs = (ulong)(Raw < 0 ? -(Int128)Raw : Raw);
        var s = (abs / Scale).ToString(CultureInfo.InvariantCulture) + "." + (abs % Scale).ToString("0000", CultureInfo.InvariantCulture);
        return "decimal(\"" + (Raw < 0 ? "-" : string.Empty) + s + "\")";
    }
}
