using System.Globalization;

namespace Warden.Policy.Values;

/// <summary>The Cedar <c>datetime</c> extension value: milliseconds since the Unix epoch (UTC).</summary>
public sealed class DatetimeValue : Value
{
    /// <summary>Milliseconds in a day.</summary>
    public const long MillisPerDay = 86_400_000;

    /// <summary>Creates a datetime from epoch milliseconds.</summary>
    public DatetimeValue(long millis) => Millis = millis;

    /// <summary>Milliseconds since 1970-01-01T00:00:00Z.</summary>
    public long Millis { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Datetime;

    /// <summary>
    /// Parses one of Cedar's datetime forms: <c>YYYY-MM-DD</c>, <c>YYYY-MM-DDThh:mm:ssZ</c>,
    /// <c>YYYY-MM-DDThh:mm:ss.SSSZ</c>, <c>YYYY-MM-DDThh:mm:ss(+|-)hhmm</c>, <c>YYYY-MM-DDThh:mm:ss.SSS(+|-)hhmm</c>.
    /// </summary>
    public static bool TryParse(string s, out DatetimeValue? value)
    {
        value = null;
        if (s.Length < 10 || !Digits(s, 0, 4, out var year) || s[4] != '-' || !Digits(s, 5, 2, out var month) || s[7] != '-' || !Digits(s, 8, 2, out var day))
        {
            return false;
        }

        if (month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(1, year), month) || year < 1)
        {
            // Year 0000 has no DateTime representation; handle leap rule manually for it.
            if (!(year == 0 && month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonthProleptic(0, month)))
            {
                return false;
            }
        }

        long days = DaysFromCivil(year, month, day);
        long ms = 0;
        long offsetMs = 0;
        if (s.Length > 10)
        {
            if (s.Length < 20 || s[10] != 'T' || !Digits(s, 11, 2, out var hh) || s[13] != ':' || !Digits(s, 14, 2, out var mi) || s[16] != ':' || !Digits(s, 17, 2, out var ss))
            {
                return false;
            }

            if (hh > 23 || mi > 59 || ss > 59)
            {
                return false;
            }

            var pos = 19;
            var millis = 0;
            if (s[pos] == '.')
            {
                if (!Digits(s, pos + 1, 3, out millis))
                {
                    return false;
                }

                pos += 4;
            }

            if (pos >= s.Length)
            {
                return false;
            }

            if (s[pos] == 'Z')
            {
                if (pos + 1 != s.Length)
                {
                    return false;
                }
            }
            else if (s[pos] == '+' || s[pos] == '-')
            {
                if (pos + 5 != s.Length || !Digits(s, pos + 1, 2, out var oh) || !Digits(s, pos + 3, 2, out var om) || oh > 23 || om > 59)
                {
                    return false;
                }

                offsetMs = ((oh * 3600L) + (om * 60L)) * 1000L;
                if (s[pos] == '-')
                {
                    offsetMs = -offsetMs;
                }
            }
            else
            {
                return false;
            }

            ms = (((hh * 3600L) + (mi * 60L) + ss) * 1000L) + millis;
        }

        value = new DatetimeValue((days * MillisPerDay) + ms - offsetMs);
        return true;
    }

    /// <summary>This datetime shifted by a duration; null on overflow.</summary>
    public DatetimeValue? Offset(DurationValue d)
    {
        var r = (Int128)Millis + d.Millis;
        return r > long.MaxValue || r < long.MinValue ? null : new DatetimeValue((long)r);
    }

    /// <summary>The duration from <paramref name="other"/> to this datetime; null on overflow.</summary>
    public DurationValue? DurationSince(DatetimeValue other)
    {
        var r = (Int128)Millis - other.Millis;
        return r > long.MaxValue || r < long.MinValue ? null : new DurationValue((long)r);
    }

    /// <summary>The datetime truncated to midnight UTC (toward negative infinity); null on overflow.</summary>
    public DatetimeValue? ToDate()
    {
        if (Millis >= 0)
        {
            return new DatetimeValue(MillisPerDay * (Millis / MillisPerDay));
        }

        if (Millis % MillisPerDay == 0)
        {
            return this;
        }

        var r = ((Int128)(Millis / MillisPerDay) - 1) * MillisPerDay;
        return r < long.MinValue ? null : new DatetimeValue((long)r);
    }

    /// <summary>The time elapsed since midnight UTC of the same day.</summary>
    public DurationValue ToTime()
    {
        var rem = Millis % MillisPerDay;
        return new DurationValue(rem < 0 ? rem + MillisPerDay : rem);
    }

    /// <inheritdoc />
    public override bool Equals(Value? other) => other is DatetimeValue d && d.Millis == Millis;

    /// <inheritdoc />
    public override int GetHashCode() => Millis.GetHashCode();

    /// <inheritdoc />
    public override string ToString()
    {
        // Years 1..9999 print in Cedar's own syntax; other instants as an offset from the epoch, also valid Cedar.
        const long MinMillis = -62135596800000; // 0001-01-01T00:00:00Z
        const long MaxMillis = 253402300799999; // 9999-12-31T23:59:59.999Z
        if (Millis >= MinMillis && Millis <= MaxMillis)
        {
            var dt = DateTime.UnixEpoch.AddMilliseconds(Millis);
            return "datetime(\"" + dt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + "\")";
        }

        return "datetime(\"1970-01-01\").offset(duration(\"" + Millis.ToString(CultureInfo.InvariantCulture) + "ms\"))";
    }

    private static bool Digits(string s, int start, int count, out int value)
    {
        value = 0;
        if (start + count > s.Length)
        {
            return false;
        }

        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }

    private static int DaysInMonthProleptic(int year, int month)
    {
        var leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return month == 2 ? (leap ? 29 : 28) : (month is 4 or 6 or 9 or 11 ? 30 : 31);
    }

    // Howard Hinnant's days-from-civil algorithm (proleptic Gregorian calendar).
    private static long DaysFromCivil(long y, long m, long d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097) + doe - 719468;
    }
}
