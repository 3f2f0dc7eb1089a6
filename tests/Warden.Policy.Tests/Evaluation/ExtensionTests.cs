using Warden.Policy.Values;
using static Warden.Policy.Tests.TestHelpers;

namespace Warden.Policy.Tests.Evaluation;

public sealed class ExtensionTests
{
    [Theory]
    [InlineData("1.0", 10000)]
    [InlineData("-1.5", -15000)]
    [InlineData("0.0001", 1)]
    [InlineData("922337203685477.5807", long.MaxValue)]
    [InlineData("-922337203685477.5808", long.MinValue)]
    public void Decimal_ParsesFourFractionalDigits(string text, long raw)
    {
        DecimalValue.TryParse(text, out var d).ShouldBeTrue();
        d!.Raw.ShouldBe(raw);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.")]
    [InlineData(".5")]
    [InlineData("1.00000")]
    [InlineData("922337203685477.5808")]
    [InlineData("1.0e3")]
    [InlineData("+1.0")]
    public void Decimal_RejectsInvalidOrOutOfRange(string text) => DecimalValue.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void Decimal_ComparisonMethods()
    {
        EvalTrue("decimal(\"1.23\").lessThan(decimal(\"1.24\"))");
        EvalTrue("decimal(\"1.23\").lessThanOrEqual(decimal(\"1.2300\"))");
        EvalTrue("decimal(\"-1.0\").greaterThan(decimal(\"-2.0\"))");
        EvalTrue("decimal(\"2.0\").greaterThanOrEqual(decimal(\"2.0\"))");
        EvalError("decimal(\"1.0\").lessThan(1)");
        EvalError("decimal(\"abc\")");
    }

    [Fact]
    public void Ip_ParsesV4AndV6WithPrefixes()
    {
        EvalTrue("ip(\"192.168.1.10\").isIpv4()");
        EvalTrue("ip(\"::1\").isIpv6()");
        EvalTrue("ip(\"192.168.1.10\").isInRange(ip(\"192.168.0.0/16\"))");
        EvalFalse("ip(\"192.168.0.0/8\").isInRange(ip(\"192.168.0.0/16\"))");
        EvalFalse("ip(\"10.0.0.1\").isInRange(ip(\"::/0\"))");
        EvalTrue("ip(\"2001:db8::1\").isInRange(ip(\"2001:db8::/32\"))");
        EvalTrue("ip(\"127.0.0.1\").isLoopback()");
        EvalTrue("ip(\"::1\").isLoopback()");
        EvalFalse("ip(\"::2\").isLoopback()");
        EvalTrue("ip(\"224.1.2.3\").isMulticast()");
        EvalTrue("ip(\"ff02::1\").isMulticast()");
        EvalFalse("ip(\"10.0.0.1\").isMulticast()");
    }

    [Theory]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4/33")]
    [InlineData("1.2.3.4/08")]
    [InlineData("::1::2")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("::ffff:1.2.3.4")]
    [InlineData("fe80::1%eth0")]
    public void Ip_RejectsInvalidAddresses(string text) => IpAddrValue.TryParse(text, out _).ShouldBeFalse();

    [Theory]
    [InlineData("1970-01-01", 0)]
    [InlineData("2024-10-15", 1728950400000)]
    [InlineData("2024-10-15T11:35:00Z", 1728992100000)]
    [InlineData("2024-10-15T11:35:00.123Z", 1728992100123)]
    [InlineData("2024-10-15T11:35:00+0100", 1728988500000)]
    [InlineData("2024-10-15T11:35:00.500-0130", 1728997500500)]
    [InlineData("1969-12-31T23:59:59Z", -1000)]
    public void Datetime_ParsesAllCedarForms(string text, long millis)
    {
        DatetimeValue.TryParse(text, out var d).ShouldBeTrue(text);
        d!.Millis.ShouldBe(millis);
    }

    [Theory]
    [InlineData("2024-13-01")]
    [InlineData("2023-02-29")]
    [InlineData("2024-10-15T25:00:00Z")]
    [InlineData("2024-10-15T11:35:60Z")]
    [InlineData("2024-10-15T11:35:00")]
    [InlineData("2024-10-15T11:35:00+2400")]
    [InlineData("2024-10-15 11:35:00Z")]
    [InlineData("24-10-15")]
    [InlineData("2024-10-15T11:35:00.12Z")]
    public void Datetime_RejectsInvalidForms(string text) => DatetimeValue.TryParse(text, out _).ShouldBeFalse(text);

    [Theory]
    [InlineData("1d2h3m4s5ms", 93784005)]
    [InlineData("-2h", -7200000)]
    [InlineData("90m", 5400000)]
    [InlineData("0ms", 0)]
    public void Duration_ParsesUnits(string text, long millis)
    {
        DurationValue.TryParse(text, out var d).ShouldBeTrue();
        d!.Millis.ShouldBe(millis);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-")]
    [InlineData("1h1d")]
    [InlineData("1h1h")]
    [InlineData("1")]
    [InlineData("h")]
    [InlineData("1x")]
    [InlineData("9223372036854775807d")]
    public void Duration_RejectsInvalid(string text) => DurationValue.TryParse(text, out _).ShouldBeFalse(text);

    [Fact]
    public void ExtensionValues_PrintAsCedarThatParsesBack()
    {
        foreach (var expr in new[] { "datetime(\"2024-10-15T11:35:00.123Z\")", "duration(\"-90m\")", "decimal(\"-1.5\")", "ip(\"10.0.0.0/8\")", "ip(\"::1\")" })
        {
            var v = Eval(expr);
            Eval(v.ToString()).ShouldBe(v, expr);
        }

        var far = new DatetimeValue(long.MaxValue);
        Eval(far.ToString()).ShouldBe(far);
    }

    [Fact]
    public void Datetime_Methods()
    {
        EvalTrue("datetime(\"2024-10-15T11:35:00Z\").offset(duration(\"1h\")) == datetime(\"2024-10-15T12:35:00Z\")");
        EvalTrue("datetime(\"2024-10-15T11:35:00Z\").durationSince(datetime(\"2024-10-15\")) == duration(\"11h35m\")");
        EvalTrue("datetime(\"2024-10-15T11:35:00Z\").toDate() == datetime(\"2024-10-15\")");
        EvalTrue("datetime(\"2024-10-15T11:35:00Z\").toTime() == duration(\"11h35m\")");
        EvalTrue("datetime(\"1969-12-31T23:00:00Z\").toDate() == datetime(\"1969-12-31\")");
        EvalTrue("datetime(\"1969-12-31T23:00:00Z\").toTime() == duration(\"23h\")");
        EvalTrue("duration(\"1d2h\").toHours() == 26");
        EvalTrue("duration(\"-1d23h\").toDays() == -1");
        EvalTrue("duration(\"90s\").toMinutes() == 1");
        EvalTrue("duration(\"1500ms\").toSeconds() == 1");
        EvalTrue("duration(\"1500ms\").toMilliseconds() == 1500");
        EvalError("datetime(\"2024-10-15\").offset(duration(\"106751991167d\"))");
        EvalError("duration(\"1h\").toDate()");
    }

    [Fact]
    public void ExtensionCall_WrongArityIsAnEvaluationError()
    {
        EvalError("ip(\"1.2.3.4\").isIpv4(1)");
        EvalError("decimal(\"1.0\", \"2.0\")");
    }
}
