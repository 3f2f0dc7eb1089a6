using System.Text.Json;
using System.Text.Json.Nodes;
using Warden.Audit.Redaction;

namespace Warden.Models.Tests;

public sealed class PromptInspectorTests
{
    private static readonly PromptInspector Inspector = new();

    public static readonly TheoryData<string, string> EachKind = new()
    {
        { "my key is sk-proj-abcDEF1234567890abcdefGHIJ", "openai_key" },
        { "sk-ant-api03-abcdefghijklmnop1234567890", "anthropic_key" },
        { "AKIAIOSFODNN7EXAMPLE is the key", "aws_access_key" },
        { "temp ASIAIOSFODNN7EXAMPLE", "aws_access_key" },
        { "token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "github_token" },
        { "gho_abcdefghijklmnopqrstuvwxyz0123456789", "github_token" },
        { "ghs_abcdefghijklmnopqrstuvwxyz0123456789", "github_token" },
        { "github_pat_11ABCDEFG0123456789_abcdefghij", "github_token" },
        { "xoxb-1234567890-abcdefghij", "slack_token" },
        { "AIzaSyD-abcdefghijklmnopqrstuvwxyz012345", "google_api_key" },
        { "use wdn_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "warden_token" },
        { "use wik_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "warden_ingest_key" },
        { "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt" },
        { "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "private_key" },
        { "connect to postgres://admin:hunter2@db.internal:5432/app", "url_password" },
        { "mail jane.doe+test@example.co.uk please", "email" },
        { "SSN 123-45-6789", "us_ssn" },
        { "card 4111 1111 1111 1111 exp 12/29", "payment_card" },
        { "card 5555-5555-5555-4444", "payment_card" },
        { "amex 378282246310005", "payment_card" },
        { "IBAN DE89 3704 0044 0532 0130 00", "iban" },
        { "GB82WEST12345698765432", "iban" },
        { "call +14155552671 now", "phone" },
    };

    [Theory]
    [MemberData(nameof(EachKind))]
    public void Inspect_DetectsEachKind(string text, string kind)
    {
        var body = Chat(text);

        var findings = Inspector.Inspect(WireFormat.OpenAIChat, body, redact: true);

        findings.ShouldContain(new InspectionFinding(kind, "messages[0].content", 1));
        var redacted = Json.Str(body["messages"]![0]!["content"]);
        redacted.ShouldContain($"[REDACTED:{kind}]");
    }

    [Theory]
    [MemberData(nameof(EachKind))]
    public void Inspect_ReadOnlyPass_FindsEachKind_InEscapedAndLongTexts(string text, string kind)
    {
        // The read-only walk unescapes each string into a buffer (on the stack up to 512 chars, rented above) and
        // makes a string only when something might be found: escapes before and after the secret, and a text too long
        // for the stack, must not hide it.
        var escaped = """line one\n\"quoted\" caf\u00e9 \\ tab\t """ + JsonEncodedText.Encode(text).Value + """ \u2603 end""";
        var longText = new string('x', 3000) + """\n""" + JsonEncodedText.Encode(text).Value;
        foreach (var json in new[] { escaped, longText })
        {
            using var document = JsonDocument.Parse($$"""{"model":"m","messages":[{"role":"user","content":"clean"},{"role":"user","content":"{{json}}"}]}""");

            Inspector.Inspect(WireFormat.OpenAIChat, document.RootElement).ShouldContain(new InspectionFinding(kind, "messages[1].content", 1));
        }
    }

    [Fact]
    public void Inspect_ReadOnlyPass_NamesEscapedPropertyNamesAndSkipsKnownKeys()
    {
        // Property names are compared in their raw form: an escaped "role" is still a skipped key, and an escaped
        // other name is named unescaped in the finding.
        using var document = JsonDocument.Parse("""{"messages":[{"\u0072ole":"a@b.io","id":"a@b.io","n\u00f6te":"a@b.io","content":[{"type":"im\u0061ge","text":"a@b.io"}]}]}""");

        Inspector.Inspect(WireFormat.OpenAIChat, document.RootElement).ShouldBe([new InspectionFinding("email", "messages[0].n\u00f6te", 1)]);
    }

    [Theory]
    [InlineData("card 4111 1111 1111 1112")]
    [InlineData("order 1234567890123456")]
    [InlineData("IBAN DE89 3704 0044 0532 0130 01")]
    [InlineData("SSN 000-12-3456")]
    [InlineData("version 1.2.3, build 20240101, sk-short")]
    [InlineData("price +15 EUR")]
    [InlineData("an ordinary sentence about sk-learn and tokens")]
    public void Inspect_IgnoresLookalikes(string text)
    {
        var body = Chat(text);

        Inspector.Inspect(WireFormat.OpenAIChat, body, redact: true).ShouldBeEmpty();
        Json.Str(body["messages"]![0]!["content"]).ShouldBe(text);
    }

    [Fact]
    public void Inspect_MonitorModeLeavesBodyUnchanged()
    {
        var body = Chat("mail a@b.io and b@c.io");
        var before = body.ToJsonString();

        var findings = Inspector.Inspect(WireFormat.OpenAIChat, body, redact: false);

        findings.ShouldBe([new InspectionFinding("email", "messages[0].content", 2)]);
        body.ToJsonString().ShouldBe(before);
    }

    [Theory]
    [InlineData(WireFormat.OpenAIChat, """{"model":"m","messages":[{"role":"system","content":"ops@corp.example"},{"role":"user","content":[{"type":"text","text":"AKIAIOSFODNN7EXAMPLE"},{"type":"image_url","image_url":{"url":"data:AKIAIOSFODNN7EXAMPLE"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"t\":\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"}"}}]},{"role":"tool","tool_call_id":"c","content":"SSN 123-45-6789"}]}""")]
    [InlineData(WireFormat.AnthropicMessages, """{"model":"m","system":[{"type":"text","text":"call +442071838750"}],"messages":[{"role":"user","content":"card 4012888888881881"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"db","input":{"dsn":"mysql://root:pw123@host/db"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"sk-ant-api03-abcdefghijklmnop1234567890"}]}]}]}""")]
    [InlineData(WireFormat.OpenAIResponses, """{"model":"m","instructions":"mail a@b.io","input":[{"role":"user","content":[{"type":"input_text","text":"AKIAIOSFODNN7EXAMPLE"},{"type":"input_image","image_url":"AKIAIOSFODNN7EXAMPLE"}]},null]}""")]
    public void Inspect_ReadOnlyPassOverTheParsedRequest_FindsWhatTheRedactingWalkFinds(WireFormat format, string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);

        var readOnly = Inspector.Inspect(format, document.RootElement);

        readOnly.ShouldNotBeEmpty();
        readOnly.ShouldBe(Inspector.Inspect(format, Json.Obj(json), redact: true));
    }

    [Fact]
    public void Inspect_ChatShapes()
    {
        var body = Json.Obj("""
            {"model":"m","messages":[
              {"role":"system","content":"admin is ops@corp.example"},
              {"role":"user","content":[{"type":"text","text":"key AKIAIOSFODNN7EXAMPLE"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AKIAIOSFODNN7EXAMPLE"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"token\":\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"SSN 123-45-6789"}
            ]}
            """);

        var findings = Inspector.Inspect(WireFormat.OpenAIChat, body, redact: true);

        findings.ShouldBe([
            new InspectionFinding("email", "messages[0].content", 1),
            new InspectionFinding("aws_access_key", "messages[1].content[0].text", 1),
            new InspectionFinding("github_token", "messages[2].tool_calls[0].function.arguments", 1),
            new InspectionFinding("us_ssn", "messages[3].content", 1),
        ]);
        Json.Str(body["messages"]![1]!["content"]![1]!["image_url"]!["url"]).ShouldBe("data:image/png;base64,AKIAIOSFODNN7EXAMPLE", "image data is not prompt text");
        Json.Str(body["messages"]![2]!["tool_calls"]![0]!["function"]!["arguments"]).ShouldBe("""{"token":"[REDACTED:github_token]"}""");
        body.ToJsonString().ShouldNotContain("123-45-6789");
    }

    [Fact]
    public void Inspect_AnthropicShapes()
    {
        var body = Json.Obj("""
            {"model":"m","max_tokens":5,
             "system":[{"type":"text","text":"call +442071838750"}],
             "messages":[
               {"role":"user","content":"my card 4012888888881881"},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"db","input":{"dsn":"mysql://root:pw123@host/db"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"sk-ant-api03-abcdefghijklmnop1234567890"}]}]}
             ]}
            """);

        var findings = Inspector.Inspect(WireFormat.AnthropicMessages, body, redact: true);

        findings.ShouldBe([
            new InspectionFinding("phone", "system[0].text", 1),
            new InspectionFinding("payment_card", "messages[0].content", 1),
            new InspectionFinding("url_password", "messages[1].content[0].input.dsn", 1),
            new InspectionFinding("anthropic_key", "messages[2].content[0].content[0].text", 1),
        ]);
        Json.Str(body["messages"]![1]!["content"]![0]!["input"]!["dsn"]).ShouldBe("mysql://root:[REDACTED:url_password]@host/db");
    }

    [Fact]
    public void Inspect_ResponsesAndEmbeddingsShapes()
    {
        var responses = Json.Obj("""
            {"model":"m","instructions":"reach me at x@y.dev","input":[
              {"role":"user","content":[{"type":"input_text","text":"AIzaSyD-abcdefghijklmnopqrstuvwxyz012345"}]},
              {"type":"function_call_output","call_id":"c","output":"xoxp-1234567890-abcdef"}
            ]}
            """);
        Inspector.Inspect(WireFormat.OpenAIResponses, responses, redact: true).ShouldBe([
            new InspectionFinding("email", "instructions", 1),
            new InspectionFinding("google_api_key", "input[0].content[0].text", 1),
            new InspectionFinding("slack_token", "input[1].output", 1),
        ]);
        Json.Str(responses["instructions"]).ShouldBe("reach me at [REDACTED:email]");

        var stringInput = Json.Obj("""{"model":"m","input":"sk-abcdefghijklmnop1234567890"}""");
        Inspector.Inspect(WireFormat.OpenAIResponses, stringInput, redact: true).ShouldBe([new InspectionFinding("openai_key", "input", 1)]);
        Json.Str(stringInput["input"]).ShouldBe("[REDACTED:openai_key]");

        var embeddings = Json.Obj("""{"model":"e","input":["fine","a@b.com",[1,2,3]]}""");
        Inspector.Inspect(WireFormat.OpenAIEmbeddings, embeddings, redact: true).ShouldBe([new InspectionFinding("email", "input[1]", 1)]);
    }

    [Fact]
    public void Inspect_ExtraPatternsAndExistingMarkers()
    {
        var inspector = new PromptInspector([new RedactionPattern("employee_id", @"\bEMP-\d{6}\b")]);
        var body = Chat("EMP-123456 and already [REDACTED:openai_key] here");

        var findings = inspector.Inspect(WireFormat.OpenAIChat, body, redact: true);

        findings.ShouldBe([new InspectionFinding("employee_id", "messages[0].content", 1)]);
        Json.Str(body["messages"]![0]!["content"]).ShouldBe("[REDACTED:employee_id] and already [REDACTED:openai_key] here");
    }

    [Fact]
    public void Findings_NeverContainTheSecret()
    {
        const string secret = "sk-proj-abcDEF1234567890abcdefGHIJ";
        var body = Chat($"{secret} 4111111111111111 a@b.co");

        foreach (var finding in Inspector.Inspect(WireFormat.OpenAIChat, body, redact: false))
        {
            finding.ToString().ShouldNotContain(secret);
            finding.ToString().ShouldNotContain("4111");
            finding.ToString().ShouldNotContain("a@b.co");
        }
    }

    private static JsonObject Chat(string text) =>
        new() { ["model"] = "m", ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = text }) };
}
