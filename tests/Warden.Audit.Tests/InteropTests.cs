using System.Text;
using System.Text.Json;
using Warden.Audit.Interop;
using Warden.Audit.Storage;

namespace Warden.Audit.Tests;

public sealed class InteropTests
{
    private static AuditEvent Sample(AuditOutcome outcome = AuditOutcome.Denied) => new()
    {
        Sequence = 42,
        Timestamp = new DateTimeOffset(2026, 11, 21, 23, 58, 1, 234, TimeSpan.Zero),
        OrgId = "org=1",
        Actor = new AuditActor(ActorKind.AgentSession, "sess|1", "Claude\\Code\nx"),
        Source = new AuditSource("anthropic", "claude|code", "conv-1"),
        Action = "tool.call",
        Resource = new AuditResource("tool", "bash"),
        Policy = new PolicyDecision { Effect = PolicyEffect.Deny, PolicySetVersion = "v3", DeterminingPolicies = ["no-rm"] },
        Outcome = outcome,
        Details = TestData.Json("""{"gen_ai.tool.name":"bash","gen_ai.usage.input_tokens":12,"ratio":0.5,"ok":true,"tags":["a"],"nested":{"k":"v"},"warden.audit.sequence":"spoof"}"""),
        Cost = new AuditCost(0.0125m, "USD"),
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        SpanId = "00f067aa0ba902b7",
        PreviousHash = AuditHash.Zero,
        Hash = AuditHash.Compute("x"u8),
    };

    [Fact]
    public void Cef_FormatsAnRfc5424LineWithEscapedCefFields()
    {
        var line = SyslogCefFormatter.Format(Sample(), new SyslogCefOptions { HostName = "warden-1" });

        line.ShouldStartWith("<108>1 2026-11-21T23:58:01.234Z warden-1 warden - audit - CEF:0|Warden|claude\\|code|1.0|tool.call|tool.call denied|7|");
        line.ShouldContain("rt=1795305481234");
        line.ShouldContain("externalId=42");
        line.ShouldContain(@"suid=sess|1");
        line.ShouldContain(@"suser=Claude\\Code\nx");
        line.ShouldContain(@"cs1=org\=1");
        line.ShouldContain("cs4=deny v3 no-rm");
        line.ShouldNotContain("\n");
    }

    [Theory]
    [InlineData("a|b\\c", @"a\|b\\c")]
    [InlineData("line1\r\nline2", "line1  line2")]
    public void Cef_EscapesHeaderFields(string input, string expected)
    {
        SyslogCefFormatter.EscapeHeader(input).ShouldBe(expected);
    }

    [Theory]
    [InlineData("a=b\\c|d", @"a\=b\\c|d")]
    [InlineData("x\r\ny", @"x\r\ny")]
    public void Cef_EscapesExtensionValues(string input, string expected)
    {
        SyslogCefFormatter.EscapeExtensionValue(input).ShouldBe(expected);
    }

    [Fact]
    public void Otlp_ExportsLogRecordsWithAnyValueAttributes()
    {
        using var document = JsonDocument.Parse(OtlpLogsExporter.Serialize([Sample(), Sample(AuditOutcome.Success)]));

        var scopeLogs = document.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0];
        var record = scopeLogs.GetProperty("logRecords")[0];
        record.GetProperty("timeUnixNano").GetString().ShouldBe("1795305481234000000");
        record.GetProperty("severityNumber").GetInt32().ShouldBe(13);
        record.GetProperty("eventName").GetString().ShouldBe("tool.call");
        record.GetProperty("traceId").GetString().ShouldBe("4bf92f3577b34da6a3ce929d0e0e4736");
        scopeLogs.GetProperty("logRecords")[1].GetProperty("severityNumber").GetInt32().ShouldBe(9);
        var attributes = record.GetProperty("attributes").EnumerateArray().ToDictionary(a => a.GetProperty("key").GetString()!, a => a.GetProperty("value"));
        attributes["warden.audit.sequence"].GetProperty("intValue").GetString().ShouldBe("42");
        attributes["gen_ai.usage.input_tokens"].GetProperty("intValue").GetString().ShouldBe("12");
        attributes["ratio"].GetProperty("doubleValue").GetDouble().ShouldBe(0.5);
        attributes["ok"].GetProperty("boolValue").GetBoolean().ShouldBeTrue();
        attributes["tags"].GetProperty("arrayValue").GetProperty("values")[0].GetProperty("stringValue").GetString().ShouldBe("a");
        attributes["nested"].GetProperty("kvlistValue").GetProperty("values")[0].GetProperty("key").GetString().ShouldBe("k");
        attributes["gen_ai.conversation.id"].GetProperty("stringValue").GetString().ShouldBe("conv-1");
        attributes["warden.cost.amount"].GetProperty("stringValue").GetString().ShouldBe("0.0125");
        record.GetProperty("attributes").EnumerateArray().Count(a => a.GetProperty("key").GetString() == "warden.audit.sequence").ShouldBe(1);
    }

    private static readonly OtlpImportOptions ImportOptions = new() { OrgId = "org-1", Vendor = "anthropic", OnBehalfOf = "user-7" };

    private const string ClaudeCodeBody = """
        {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"claude-code"}}]},
          "scopeLogs":[{"scope":{"name":"com.anthropic.claude_code.events","version":"2.0"},
            "logRecords":[
              {"timeUnixNano":"1763769481234000000","severityNumber":9,"severityText":"INFO","eventName":"claude_code.tool_result",
               "body":{"stringValue":"claude_code.tool_result"},
               "attributes":[{"key":"session.id","value":{"stringValue":"s-123"}},{"key":"tool_name","value":{"stringValue":"Bash"}},
                 {"key":"success","value":{"stringValue":"false"}},{"key":"duration_ms","value":{"intValue":"37"}},
                 {"key":"args","value":{"kvlistValue":{"values":[{"key":"cmd","value":{"stringValue":"ls"}}]}}}],
               "traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":""},
              {"timeUnixNano":1763769481235000000,"severityNumber":"SEVERITY_NUMBER_ERROR","attributes":[{"key":"event.name","value":{"stringValue":"claude_code.api_error"}}]}
            ]}]}]}
        """;

    [Fact]
    public void OtlpImport_MapsRecordsToDrafts()
    {
        var result = OtlpLogsImporter.Parse(Encoding.UTF8.GetBytes(ClaudeCodeBody), ImportOptions);

        result.Error.ShouldBeNull();
        result.Events.Count.ShouldBe(2);
        var first = result.Events[0];
        first.Action.ShouldBe("claude_code.tool_result");
        first.Actor.ShouldBe(new AuditActor(ActorKind.AgentSession, "s-123", "claude-code"));
        first.Source.ShouldBe(new AuditSource("anthropic", "claude-code", "s-123"));
        first.OnBehalfOf.ShouldBe("user-7");
        first.Outcome.ShouldBe(AuditOutcome.Failure);
        first.TraceId.ShouldBe("4bf92f3577b34da6a3ce929d0e0e4736");
        first.SpanId.ShouldBeNull();
        var details = first.Details!.Value;
        details.GetProperty("duration_ms").GetInt64().ShouldBe(37);
        details.GetProperty("args").GetProperty("cmd").GetString().ShouldBe("ls");
        details.GetProperty("otel.time_unix_nano").GetString().ShouldBe("1763769481234000000");
        details.GetProperty("otel.resource").GetProperty("service.name").GetString().ShouldBe("claude-code");
        var second = result.Events[1];
        second.Action.ShouldBe("claude_code.api_error");
        second.Outcome.ShouldBe(AuditOutcome.Error);
        second.Actor.Kind.ShouldBe(ActorKind.ExternalTool);
    }

    [Theory]
    [InlineData("", "not valid JSON")]
    [InlineData("[]", "request must be")]
    [InlineData("""{"resourceLogs":{}}""", "resourceLogs must be")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1"}]}]}]}""", "no eventName")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"a.b","traceId":"xyz"}]}]}]}""", "traceId")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"a.b","attributes":[{"key":"k","value":{"intValue":"1.5"}}]}]}]}]}""", "64-bit")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"a.b","attributes":[{"key":"k","value":{"stringValue":"a","intValue":"1"}}]}]}]}]}""", "more than one")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"a.b","attributes":[{"key":"k","value":{}},{"key":"k","value":{}}]}]}]}]}""", "repeats key")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"..."}]}]}]}""", "cannot be used")]
    [InlineData("""{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"a","severityNumber":99}]}]}]}""", "severity")]
    public void OtlpImport_RejectsMalformedInputWithAReason(string body, string reason)
    {
        var result = OtlpLogsImporter.Parse(Encoding.UTF8.GetBytes(body), ImportOptions);

        result.Succeeded.ShouldBeFalse();
        result.Events.ShouldBeEmpty();
        result.Error.ShouldNotBeNull().ShouldContain(reason, Case.Insensitive);
    }

    [Fact]
    public void OtlpImport_NeverThrowsOnTruncatedInput()
    {
        var bytes = Encoding.UTF8.GetBytes(ClaudeCodeBody);
        for (var length = 0; length < bytes.Length; length += 7)
        {
            var result = OtlpLogsImporter.Parse(bytes.AsSpan(0, length), ImportOptions);
            result.Succeeded.ShouldBeFalse();
        }
    }

    [Fact]
    public async Task OtlpImport_DraftsCanBeAppendedAndExportedAgain()
    {
        var store = new InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: new FakeTimeProvider());
        var drafts = OtlpLogsImporter.Parse(Encoding.UTF8.GetBytes(ClaudeCodeBody), ImportOptions).Events;

        var written = await Task.WhenAll(drafts.Select(d => writer.AppendAsync(d)));
        using var roundTrip = JsonDocument.Parse(OtlpLogsExporter.Serialize(written));

        roundTrip.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords").GetArrayLength().ShouldBe(2);
    }
}
