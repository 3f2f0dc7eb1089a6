using System.Text;
using System.Text.Json.Nodes;

namespace Warden.Models.Tests;

public sealed class ModelErrorsTests
{
    [Theory]
    [InlineData(ModelErrorKind.InvalidRequest, 400, "invalid_request_error", null)]
    [InlineData(ModelErrorKind.Authentication, 401, "authentication_error", "invalid_api_key")]
    [InlineData(ModelErrorKind.PermissionDenied, 403, "permission_error", "permission_denied")]
    [InlineData(ModelErrorKind.NotFound, 404, "invalid_request_error", "model_not_found")]
    [InlineData(ModelErrorKind.RequestTooLarge, 413, "invalid_request_error", "request_too_large")]
    [InlineData(ModelErrorKind.RateLimited, 429, "rate_limit_error", "rate_limit_exceeded")]
    [InlineData(ModelErrorKind.BudgetExceeded, 429, "insufficient_quota", "insufficient_quota")]
    [InlineData(ModelErrorKind.Timeout, 504, "timeout", "timeout")]
    [InlineData(ModelErrorKind.UpstreamError, 502, "server_error", "upstream_error")]
    [InlineData(ModelErrorKind.Overloaded, 503, "server_error", "overloaded")]
    public void Create_OpenAIShape(ModelErrorKind kind, int status, string type, string? code)
    {
        foreach (var format in (WireFormat[])[WireFormat.OpenAIChat, WireFormat.OpenAIResponses, WireFormat.OpenAIEmbeddings])
        {
            var (actualStatus, body) = ModelErrors.Create(format, kind, "Something happened.");

            actualStatus.ShouldBe(status);
            var error = JsonNode.Parse(body)!["error"]!.AsObject();
            error["message"]!.GetValue<string>().ShouldBe("Something happened.");
            error["type"]!.GetValue<string>().ShouldBe(type);
            error.ContainsKey("param").ShouldBeTrue();
            error["param"].ShouldBeNull();
            error["code"]?.GetValue<string>().ShouldBe(code);
        }
    }

    [Theory]
    [InlineData(ModelErrorKind.InvalidRequest, 400, "invalid_request_error")]
    [InlineData(ModelErrorKind.Authentication, 401, "authentication_error")]
    [InlineData(ModelErrorKind.PermissionDenied, 403, "permission_error")]
    [InlineData(ModelErrorKind.NotFound, 404, "not_found_error")]
    [InlineData(ModelErrorKind.RequestTooLarge, 413, "request_too_large")]
    [InlineData(ModelErrorKind.RateLimited, 429, "rate_limit_error")]
    [InlineData(ModelErrorKind.BudgetExceeded, 429, "rate_limit_error")]
    [InlineData(ModelErrorKind.Timeout, 504, "timeout_error")]
    [InlineData(ModelErrorKind.UpstreamError, 502, "api_error")]
    [InlineData(ModelErrorKind.Overloaded, 529, "overloaded_error")]
    public void Create_AnthropicShape(ModelErrorKind kind, int status, string type)
    {
        var (actualStatus, body) = ModelErrors.Create(WireFormat.AnthropicMessages, kind, "Nope.");

        actualStatus.ShouldBe(status);
        var root = JsonNode.Parse(body)!;
        root["type"]!.GetValue<string>().ShouldBe("error");
        root["error"]!["type"]!.GetValue<string>().ShouldBe(type);
        root["error"]!["message"]!.GetValue<string>().ShouldBe("Nope.");
    }

    [Fact]
    public void Create_CodeOverridesDefaultAndRequestExceptionCarriesParam()
    {
        var (_, body) = ModelErrors.Create(WireFormat.OpenAIChat, ModelErrorKind.InvalidRequest, "bad", "context_length_exceeded");
        JsonNode.Parse(body)!["error"]!["code"]!.GetValue<string>().ShouldBe("context_length_exceeded");

        var (status, withParam) = ModelErrors.Create(WireFormat.OpenAIChat, new ModelRequestException(ModelErrorKind.InvalidRequest, "n too big", "n"));
        status.ShouldBe(400);
        JsonNode.Parse(withParam)!["error"]!["param"]!.GetValue<string>().ShouldBe("n");
    }

    [Fact]
    public void FromUpstream_AnthropicErrorForOpenAIClientKeepsStatusAndMessage()
    {
        var upstream = """{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}"""u8;

        var (status, body) = ModelErrors.FromUpstream(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, 529, upstream);

        status.ShouldBe(529);
        var error = JsonNode.Parse(body)!["error"]!;
        error["message"]!.GetValue<string>().ShouldBe("Overloaded");
        error["type"]!.GetValue<string>().ShouldBe("server_error");
    }

    [Fact]
    public void FromUpstream_OpenAIErrorForAnthropicClient()
    {
        var upstream = """{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"""u8;

        var (status, body) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, 400, upstream);

        status.ShouldBe(400);
        var root = JsonNode.Parse(body)!;
        root["error"]!["type"]!.GetValue<string>().ShouldBe("invalid_request_error");
        root["error"]!["message"]!.GetValue<string>().ShouldBe("This model's maximum context length is 8192 tokens.");
    }

    [Fact]
    public void FromUpstream_OpenAIToOpenAIKeepsCode()
    {
        var upstream = """{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"""u8;

        var (status, body) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.OpenAIResponses, 429, upstream);

        status.ShouldBe(429);
        JsonNode.Parse(body)!["error"]!["code"]!.GetValue<string>().ShouldBe("rate_limit_exceeded");
    }

    [Fact]
    public void FromUpstream_PlainTextAndHtmlBodies()
    {
        var (status, body) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, 502, "upstream connect error"u8);
        status.ShouldBe(502);
        JsonNode.Parse(body)!["error"]!["message"]!.GetValue<string>().ShouldBe("upstream connect error");

        var (_, html) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, 503, "<html><body>Service Unavailable</body></html>"u8);
        JsonNode.Parse(html)!["error"]!["message"]!.GetValue<string>().ShouldBe("The model provider returned HTTP 503.");

        var (_, empty) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, 500, []);
        JsonNode.Parse(empty)!["error"]!["message"]!.GetValue<string>().ShouldBe("The model provider returned HTTP 500.");
    }

    [Fact]
    public void FromUpstream_RedactsKeysEchoedByTheProvider()
    {
        const string key = "sk-proj-abcdefghijklmnop1234567890";
        var upstream = Encoding.UTF8.GetBytes(
            "{\"error\":{\"message\":\"Incorrect API key provided: " + key + ".\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}");

        var (status, body) = ModelErrors.FromUpstream(WireFormat.OpenAIChat, WireFormat.OpenAIChat, 401, upstream);

        status.ShouldBe(401);
        Encoding.UTF8.GetString(body).ShouldNotContain(key);
    }
}
