using Warden.Policy.Evaluation;
using Warden.Policy.Values;

namespace Warden.Policy.Ast;

/// <summary>Names, arities and implementations of the extension functions.</summary>
public static class ExtensionFunctions
{
    private static readonly Dictionary<string, ExtensionFunction> Constructors = new(StringComparer.Ordinal)
    {
        ["decimal"] = ExtensionFunction.Decimal,
        ["ip"] = ExtensionFunction.Ip,
        ["datetime"] = ExtensionFunction.Datetime,
        ["duration"] = ExtensionFunction.Duration,
    };

    private static readonly Dictionary<string, ExtensionFunction> Methods = new(StringComparer.Ordinal)
    {
        ["lessThan"] = ExtensionFunction.LessThan,
        ["lessThanOrEqual"] = ExtensionFunction.LessThanOrEqual,
        ["greaterThan"] = ExtensionFunction.GreaterThan,
        ["greaterThanOrEqual"] = ExtensionFunction.GreaterThanOrEqual,
        ["isIpv4"] = ExtensionFunction.IsIpv4,
        ["isIpv6"] = ExtensionFunction.IsIpv6,
        ["isLoopback"] = ExtensionFunction.IsLoopback,
        ["isMulticast"] = ExtensionFunction.IsMulticast,
        ["isInRange"] = ExtensionFunction.IsInRange,
        ["offset"] = ExtensionFunction.Offset,
        ["durationSince"] = ExtensionFunction.DurationSince,
        ["toDate"] = ExtensionFunction.ToDate,
        ["toTime"] = ExtensionFunction.ToTime,
        ["toMilliseconds"] = ExtensionFunction.ToMilliseconds,
        ["toSeconds"] = ExtensionFunction.ToSeconds,
        ["toMinutes"] = ExtensionFunction.ToMinutes,
        ["toHours"] = ExtensionFunction.ToHours,
        ["toDays"] = ExtensionFunction.ToDays,
    };

    /// <summary>Looks up a function-call-style constructor (<c>ip</c>, <c>decimal</c>, ...), also with the <c>__cedar::</c> prefix.</summary>
    public static bool TryGetConstructor(string name, out ExtensionFunction fn)
    {
        if (name.StartsWith("__cedar::", StringComparison.Ordinal))
        {
            name = name["__cedar::".Length..];
        }

        return Constructors.TryGetValue(name, out fn);
    }

    /// <summary>Looks up a method-style extension function.</summary>
    public static bool TryGetMethod(string name, out ExtensionFunction fn) => Methods.TryGetValue(name, out fn);

    /// <summary>The number of arguments, counting the receiver of methods.</summary>
    public static int Arity(ExtensionFunction fn) => fn switch
    {
        ExtensionFunction.Decimal or ExtensionFunction.Ip or ExtensionFunction.Datetime or ExtensionFunction.Duration => 1,
        ExtensionFunction.LessThan or ExtensionFunction.LessThanOrEqual or ExtensionFunction.GreaterThan or ExtensionFunction.GreaterThanOrEqual => 2,
        ExtensionFunction.IsInRange or ExtensionFunction.Offset or ExtensionFunction.DurationSince => 2,
        _ => 1,
    };

    /// <summary>Whether the function is written as a method call.</summary>
    public static bool IsMethod(ExtensionFunction fn) =>
        fn is not (ExtensionFunction.Decimal or ExtensionFunction.Ip or ExtensionFunction.Datetime or ExtensionFunction.Duration);

    /// <summary>The source name.</summary>
    public static string Name(ExtensionFunction fn)
    {
        var n = fn.ToString();
        return fn == ExtensionFunction.Ip ? "ip" : char.ToLowerInvariant(n[0]) + n[1..];
    }

    /// <summary>Parses a constructor argument; null if the string is invalid for the type.</summary>
    public static Value? Construct(ExtensionFunction fn, string arg)
    {
        switch (fn)
        {
            case ExtensionFunction.Decimal:
                return DecimalValue.TryParse(arg, out var d) ? d : null;
            case ExtensionFunction.Ip:
                return IpAddrValue.TryParse(arg, out var ip) ? ip : null;
            case ExtensionFunction.Datetime:
                return DatetimeValue.TryParse(arg, out var dt) ? dt : null;
            case ExtensionFunction.Duration:
                return DurationValue.TryParse(arg, out var du) ? du : null;
            default:
                return null;
        }
    }

    /// <summary>Applies the function to evaluated arguments.</summary>
    public static Value Apply(ExtensionFunction fn, Value a, Value? b)
    {
        switch (fn)
        {
            case ExtensionFunction.Decimal:
            case ExtensionFunction.Ip:
            case ExtensionFunction.Datetime:
            case ExtensionFunction.Duration:
                if (a is not StringValue s)
                {
                    throw Type("string", a);
                }

                return Construct(fn, s.Value) ?? throw new EvaluationException($"invalid {Name(fn)} literal {StringValue.Quote(s.Value)}");
            case ExtensionFunction.LessThan:
            case ExtensionFunction.LessThanOrEqual:
            case ExtensionFunction.GreaterThan:
            case ExtensionFunction.GreaterThanOrEqual:
                {
                    var x = a as DecimalValue ?? throw Type("decimal", a);
                    var y = b as DecimalValue ?? throw Type("decimal", b!);
                    return BoolValue.Of(fn switch
                    {
                        ExtensionFunction.LessThan => x.Raw < y.Raw,
                        ExtensionFunction.LessThanOrEqual => x.Raw <= y.Raw,
                        ExtensionFunction.GreaterThan => x.Raw > y.Raw,
                        _ => x.Raw >= y.Raw,
                    });
                }

            case ExtensionFunction.IsIpv4:
                return BoolValue.Of(!(a as IpAddrValue ?? throw Type("ipaddr", a)).IsV6);
            case ExtensionFunction.IsIpv6:
                return BoolValue.Of((a as IpAddrValue ?? throw Type("ipaddr", a)).IsV6);
            case ExtensionFunction.IsLoopback:
                return BoolValue.Of((a as IpAddrValue ?? throw Type("ipaddr", a)).IsLoopback);
            case ExtensionFunction.IsMulticast:
                return BoolValue.Of((a as IpAddrValue ?? throw Type("ipaddr", a)).IsMulticast);
            case ExtensionFunction.IsInRange:
                {
                    var x = a as IpAddrValue ?? throw Type("ipaddr", a);
                    var y = b as IpAddrValue ?? throw Type("ipaddr", b!);
                    return BoolValue.Of(x.InRange(y));
                }

            case ExtensionFunction.Offset:
                {
                    var x = a as DatetimeValue ?? throw Type("datetime", a);
                    var y = b as DurationValue ?? throw Type("duration", b!);
                    return x.Offset(y) ?? throw new EvaluationException("overflow in datetime offset");
                }

            case ExtensionFunction.DurationSince:
                {
                    var x = a as DatetimeValue ?? throw Type("datetime", a);
                    var y = b as DatetimeValue ?? throw Type("datetime", b!);
                    return x.DurationSince(y) ?? throw new EvaluationException("overflow in durationSince");
                }

            case ExtensionFunction.ToDate:
                return (a as DatetimeValue ?? throw Type("datetime", a)).ToDate() ?? throw new EvaluationException("overflow in toDate");
            case ExtensionFunction.ToTime:
                return (a as DatetimeValue ?? throw Type("datetime", a)).ToTime();
            case ExtensionFunction.ToMilliseconds:
                return LongValue.Of((a as DurationValue ?? throw Type("duration", a)).Millis);
            case ExtensionFunction.ToSeconds:
                return LongValue.Of((a as DurationValue ?? throw Type("duration", a)).Millis / 1000);
            case ExtensionFunction.ToMinutes:
                return LongValue.Of((a as DurationValue ?? throw Type("duration", a)).Millis / 60_000);
            case ExtensionFunction.ToHours:
                return LongValue.Of((a as DurationValue ?? throw Type("duration", a)).Millis / 3_600_000);
            default:
                return LongValue.Of((a as DurationValue ?? throw Type("duration", a)).Millis / 86_400_000);
        }
    }

    private static EvaluationException Type(string expected, Value actual) =>
        new($"type error: expected {expected}, got {actual.TypeName}");
}
