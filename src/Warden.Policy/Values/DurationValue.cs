using System.Globalization;

namespace Warden.Policy.Values;

/// <summary>The Cedar <c>duration</c> extension value, in milliseconds.</summary>
public sealed class DurationValue : Value
{
    /// <summary>Creates a duration.</summary>
    public DurationValue(long millis) => Millis = millis;

    /// <summary>The duration in milliseconds (may be negative).</summary>
    public long Millis { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Duration;

    /// <summary>
    /// Parses Cedar duration syntax such as <c>1d2h3m4s5ms</c> or <c>-2h</c>: units in decreasing order, each at most once.
    /// </summary>
    public static bool TryParse(string s, out DurationValue? value)
    {
        value = null;
        var pos = 0;
        var negative = false;
        if (s.Length > 0 && s[0] == '-')
        {
            negative = true;
            pos = 1;
        }

        if (pos >= s.Length)
        {
            return false;
        }

        Int128 total = 0;
        var lastUnit = -1;
        while (pos < s.Length)
        {
            var start = pos;
            Int128 n = 0;
            while (pos < s.Length && char.IsAsciiDigit(s[pos]))
            {
                n = (n * 10) + (s[pos] - '0');
                if (n > long.MaxValue)
                {
                    return false;
                }

                pos++;
            }

            if (pos == start || pos >= s.Length)
            {
                return false;
            }

            int unit;
            long factor;
            if (s[pos] == 'd')
            {
                unit = 0;
                factor = 86_400_000;
                pos++;
            }
            else if (s[pos] == 'h')
            {
                unit = 1;
                factor = 3_600_000;
                pos++;
            }
            else if (s[pos] == 'm' && pos + 1 < s.Length && s[pos + 1] == 's')
            {
                unit = 4;
                factor = 1;
                pos += 2;
            }
            else if (s[pos] == 'm')
            {
                unit = 2;
                factor = 60_000;
                pos++;
            }
            else if (s[pos] == 's')
            {
                unit = 3;
                factor = 1000;
                pos++;
            }
            else
            {
                return false;
            }

            if (unit <= lastUnit)
            {
                return false;
            }

            lastUnit = unit;
            var part = n * factor;
            if (part > long.MaxValue)
            {
                return false;
            }

            total += part;
            if (total > long.MaxValue)
            {
                return false;
            }
        }

        value = new DurationValue((long)(negative ? -total : total));
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(Value? other) => other is DurationValue d && d.Millis == Millis;

    /// <inheritdoc />
    public override int GetHashCode() => Millis.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => "duration(\"" + Millis.ToString(CultureInfo.InvariantCulture) + "ms\")";
}
