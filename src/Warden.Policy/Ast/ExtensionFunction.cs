namespace Warden.Policy.Ast;

/// <summary>Cedar extension functions (constructors and methods of decimal, ipaddr, datetime, duration).</summary>
public enum ExtensionFunction
{
    /// <summary><c>decimal("1.23")</c>.</summary>
    Decimal,

    /// <summary><c>d.lessThan(d2)</c>.</summary>
    LessThan,

    /// <summary><c>d.lessThanOrEqual(d2)</c>.</summary>
    LessThanOrEqual,

    /// <summary><c>d.greaterThan(d2)</c>.</summary>
    GreaterThan,

    /// <summary><c>d.greaterThanOrEqual(d2)</c>.</summary>
    GreaterThanOrEqual,

    /// <summary><c>ip("10.0.0.1/8")</c>.</summary>
    Ip,

    /// <summary><c>a.isIpv4()</c>.</summary>
    IsIpv4,

    /// <summary><c>a.isIpv6()</c>.</summary>
    IsIpv6,

    /// <summary><c>a.isLoopback()</c>.</summary>
    IsLoopback,

    /// <summary><c>a.isMulticast()</c>.</summary>
    IsMulticast,

    /// <summary><c>a.isInRange(b)</c>.</summary>
    IsInRange,

    /// <summary><c>datetime("2024-10-15")</c>.</summary>
    Datetime,

    /// <summary><c>duration("1h")</c>.</summary>
    Duration,

    /// <summary><c>dt.offset(dur)</c>.</summary>
    Offset,

    /// <summary><c>dt.durationSince(dt2)</c>.</summary>
    DurationSince,

    /// <summary><c>dt.toDate()</c>.</summary>
    ToDate,

    /// <summary><c>dt.toTime()</c>.</summary>
    ToTime,

    /// <summary><c>dur.toMilliseconds()</c>.</summary>
    ToMilliseconds,

    /// <summary><c>dur.toSeconds()</c>.</summary>
    ToSeconds,

    /// <summary><c>dur.toMinutes()</c>.</summary>
    ToMinutes,

    /// <summary><c>dur.toHours()</c>.</summary>
    ToHours,

    /// <summary><c>dur.toDays()</c>.</summary>
    ToDays,
}
