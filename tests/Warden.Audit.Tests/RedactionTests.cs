using System.Text.Json;
using Warden.Audit.Redaction;

namespace Warden.Audit.Tests;

public sealed class RedactionTests
{
    private readonly AuditRedactor _redactor = new();

    [Theory]
    [InlineData("key sk-ant-api03-AbCdEf1234567890_xyzXYZ-abc done", "key [REDACTED:anthropic_key] done")]
    [InlineData("key sk-proj-AbCdEf1234567890abcdefGHIJ done", "key [REDACTED:openai_key] done")]
    [InlineData("sk-AbCdEf1234567890abcdefGHIJKLmn", "[REDACTED:openai_key]")]
    [InlineData("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "token [REDACTED:github_token]")]
    [InlineData("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "[REDACTED:github_token]")]
    [InlineData("slack xoxb-123456789012-abcdefghij", "slack [REDACTED:slack_token]")]
    [InlineData("aws AKIAIOSFODNN7EXAMPLE end", "aws [REDACTED:aws_access_key] end")]
    [InlineData("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt [REDACTED:jwt]")]
    [InlineData("Authorization: Bearer abc.def-ghi_jkl~123", "Authorization: Bearer [REDACTED:bearer_token]")]
    [InlineData("use wdn_4f7Hk2LmN9pQrStUvWxYz0 now", "use [REDACTED:warden_token] now")]
    [InlineData("postgres://admin:s3cr3t!@db.internal:5432/warden", "postgres://admin:[REDACTED:url_password]@db.internal:5432/warden")]
    public void Redact_ReplacesKnownSecretShapes(string input, string expected)
    {
        _redactor.Redact(input).ShouldBe(expected);
    }

    [Fact]
    public void Redact_ReplacesPemPrivateKeys()
    {
        var pem = "before\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nabc==\n-----END EC PRIVATE KEY-----\nafter";

        _redactor.Redact(pem).ShouldBe("before\n[REDACTED:private_key]\nafter");
    }

    [Theory]
    [InlineData("model.invoke")]
    [InlineData("task-runner-for-the-build")]
    [InlineData("sk-learn-tutorial-examples-collection")]
    [InlineData("https://example.com/path?q=1")]
    [InlineData("user@example.com")]
    public void Redact_LeavesOrdinaryTextAlone(string input)
    {
        _redactor.Redact(input).ShouldBeSameAs(input);
    }

    [Theory]
    [InlineData("password", true)]
    [InlineData("db_password", true)]
    [InlineData("clientSecret", true)]
    [InlineData("access_token", true)]
    [InlineData("Authorization", true)]
    [InlineData("x-api-key", true)]
    [InlineData("apiKey", true)]
    [InlineData("private_key", true)]
    [InlineData("Set-Cookie", true)]
    [InlineData("gen_ai.usage.input_tokens", false)]
    [InlineData("token_count", false)]
    [InlineData("max_tokens", false)]
    [InlineData("key", false)]
    [InlineData("tokenizer", false)]
    public void IsSensitiveKey_MatchesSecretNamesButNotTokenCounts(string key, bool expected)
    {
        _redactor.IsSensitiveKey(key, out _).ShouldBe(expected);
    }

    [Fact]
    public void Redact_ReplacesValuesOfSensitiveKeysRecursively()
    {
        var details = TestData.Json("""{"headers":{"Authorization":"Basic dXNlcjpwYXNz","accept":"json"},"password":123,"nested":[{"api_key":{"a":1}}],"gen_ai.usage.input_tokens":5,"msg":"got sk-ant-api03-AbCdEf1234567890_xyz"}""");

        var redacted = _redactor.Redact(details);

        redacted.GetProperty("headers").GetProperty("Authorization").GetString().ShouldBe("[REDACTED:authorization]");
        redacted.GetProperty("headers").GetProperty("accept").GetString().ShouldBe("json");
        redacted.GetProperty("password").GetString().ShouldBe("[REDACTED:password]");
        redacted.GetProperty("nested")[0].GetProperty("api_key").GetString().ShouldBe("[REDACTED:api_key]");
        redacted.GetProperty("gen_ai.usage.input_tokens").GetInt32().ShouldBe(5);
        redacted.GetProperty("msg").GetString().ShouldBe("got [REDACTED:anthropic_key]");
    }

    [Fact]
    public void Redact_ReturnsCleanDetailsUnchanged()
    {
        var details = TestData.Json("""{"a":"plain","token_count":3}""");

        var redacted = _redactor.Redact(details);

        JsonElement.DeepEquals(redacted, details).ShouldBeTrue();
    }

    [Theory]
    // Each is checked after clean details with the same shape have warmed the key cache, so the raw pre-scan
    // (which clears details without decoding them) is what has to send them to the full check.
    [InlineData("""{"command":"run","output":"got sk-proj-AbCdEf1234567890abcdefGHIJ"}""", "output", "got [REDACTED:openai_key]")]
    [InlineData("""{"command":"run","output":"got \u0073k-proj-AbCdEf1234567890abcdefGHIJ"}""", "output", "got [REDACTED:openai_key]")]
    [InlineData("""{"command":"run","password":"hunter2"}""", "password", "[REDACTED:password]")]
    [InlineData("""{"command":"run","pass\u0077ord":"hunter2"}""", "password", "[REDACTED:password]")]
    [InlineData("""{"command":"run","nested":{"output":["x","Bearer abcdefgh12345678"]}}""", "nested", "Bearer [REDACTED:bearer_token]")]
    [InlineData("""{"command":"run","url":"https://bob:s3cret@example.com/"}""", "url", "https://bob:[REDACTED:url_password]@example.com/")]
    public void Redact_FindsSecretsInDetailsWhoseCleanTwinWasCleared(string json, string key, string expected)
    {
        var clean = TestData.Json("""{"command":"run","output":"plain","password":"","nested":{"output":["x","y"]},"url":"none"}""");
        _redactor.Redact(clean).ShouldBe(clean);
        _redactor.Redact(clean).ShouldBe(clean);

        var redacted = _redactor.Redact(TestData.Json(json));

        var value = redacted.GetProperty(key);
        var text = value.ValueKind == JsonValueKind.Object ? value.GetProperty("output")[1].GetString() : value.GetString();
        text.ShouldBe(expected);
    }

    [Fact]
    public void Redact_ClearsLargeCleanDetailsAndStillFindsASecretAtTheirEnd()
    {
        // Larger than the pre-scan's stack buffer: the pooled path.
        var filler = string.Join(",", Enumerable.Range(0, 200).Select(i => $"\"k{i}\":\"value number {i}\""));
        var clean = TestData.Json("{" + filler + "}");
        _redactor.Redact(clean).ShouldBe(clean);
        _redactor.Redact(clean).ShouldBe(clean);

        var redacted = _redactor.Redact(TestData.Json("{" + filler + ",\"last\":\"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"}"));

        redacted.GetProperty("last").GetString().ShouldBe("[REDACTED:github_token]");
        redacted.GetProperty("k199").GetString().ShouldBe("value number 199");
    }

    [Fact]
    public void Redact_AppliesConfiguredPatternsAndKeys()
    {
        var redactor = new AuditRedactor(new RedactionOptions
        {
            ExtraPatterns = [new RedactionPattern("acme_key", "ACME-[0-9]{6}")],
            ExtraSensitiveKeys = ["ssn"],
        });

        redactor.Redact("id ACME-123456").ShouldBe("id [REDACTED:acme_key]");
        redactor.Redact(TestData.Json("""{"SSN":"123-45-6789"}""")).GetProperty("SSN").GetString().ShouldBe("[REDACTED:secret]");
    }

    [Theory]
    [InlineData("got sk-ant-api03-AbCdEf1234567890_xyz")]
    [InlineData("got sk-ant-api03-AbCdEf1234567890\\u005fxyz")]
    [InlineData("grüße sk-ant-api03-AbCdEf1234567890_xyz")]
    [InlineData("a very long value ......................................................................................................................................................................................................................................................... sk-ant-api03-AbCdEf1234567890_xyz")]
    public void Redact_FindsSecretsInDetails_WhetherPlainEscapedNonAsciiOrLong(string raw)
    {
        // Plain ASCII values are matched where they lie in the document; the rest are read as strings first.
        var details = TestData.Json($$"""{"msg":"{{raw}}","n":1}""");

        var redacted = _redactor.Redact(details);

        redacted.GetProperty("msg").GetString()!.ShouldEndWith(" [REDACTED:anthropic_key]");
        redacted.GetProperty("n").GetInt32().ShouldBe(1);
    }

    [Fact]
    public void Redact_AppliesConfiguredPatternsToDetails_AndSensitiveNamesWrittenWithEscapes()
    {
        var redactor = new AuditRedactor(new RedactionOptions { ExtraPatterns = [new RedactionPattern("acme_key", "ACME-[0-9]{6}")], ExtraSensitiveKeys = ["ssn"] });
        var details = TestData.Json("""{"id":"ACME-123456","pass\u0077ord":"hunter2","Ssn":"1","clean":"gr\u00fc\u00dfe","tokens":3}""");

        var redacted = redactor.Redact(details);

        redacted.GetProperty("id").GetString().ShouldBe("[REDACTED:acme_key]");
        redacted.GetProperty("password").GetString().ShouldBe("[REDACTED:password]");
        redacted.GetProperty("Ssn").GetString().ShouldBe("[REDACTED:secret]");
        redacted.GetProperty("clean").GetString().ShouldBe("grüße");
        var clean = TestData.Json("""{"a":"gr\u00fc\u00dfe","b":"ACME-12345","c":"plain"}""");
        JsonElement.DeepEquals(redactor.Redact(clean), clean).ShouldBeTrue();
    }

    [Fact]
    public async Task Writer_RedactsBeforeHashingAndStoring()
    {
        var store = new Storage.InMemoryAuditLedgerStore();
        await using var writer = await AuditWriter.StartAsync(store, TestData.Options(), timeProvider: new FakeTimeProvider());

        var written = await writer.AppendAsync(TestData.Draft(1, """{"cmd":"curl -H 'Authorization: Bearer abcdefgh12345678'","password":"hunter2"}""") with
        {
            Actor = new AuditActor(ActorKind.ApiKey, "wdn_4f7Hk2LmN9pQrStUvWxYz0"),
        });

        var text = System.Text.Encoding.UTF8.GetString(Canonical.AuditCanonicalJson.EncodeEvent(store.Events[0]));
        text.ShouldNotContain("hunter2");
        text.ShouldNotContain("abcdefgh12345678");
        text.ShouldNotContain("wdn_4f7");
        written.Actor.Id.ShouldBe("[REDACTED:warden_token]");
        Canonical.AuditCanonicalJson.ComputeEventHash(store.Events[0]).ShouldBe(written.Hash);
    }
}
