using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Warden.Models.Aws;
using Warden.Models.Providers;
using Warden.Testing;

namespace Warden.Models.Tests;

public sealed class ProviderTests
{
    private static readonly JsonObject ChatBody = Json.Obj("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true}}""");
    private static readonly JsonObject AnthropicBody = Json.Obj("""{"model":"claude","max_tokens":100,"messages":[{"role":"user","content":"Hi"}],"stream":true}""");

    [Theory]
    [InlineData(ProviderKind.OpenAI, WireFormat.OpenAIChat, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.OpenAI, WireFormat.OpenAIResponses, WireFormat.OpenAIResponses)]
    [InlineData(ProviderKind.OpenAI, WireFormat.OpenAIEmbeddings, WireFormat.OpenAIEmbeddings)]
    [InlineData(ProviderKind.OpenAI, WireFormat.AnthropicMessages, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.OpenAICompatible, WireFormat.OpenAIResponses, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.OpenAICompatible, WireFormat.AnthropicMessages, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.OpenAICompatible, WireFormat.OpenAIEmbeddings, WireFormat.OpenAIEmbeddings)]
    [InlineData(ProviderKind.AzureOpenAI, WireFormat.OpenAIChat, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.AzureOpenAI, WireFormat.OpenAIResponses, WireFormat.OpenAIChat)]
    [InlineData(ProviderKind.AzureOpenAI, WireFormat.OpenAIEmbeddings, WireFormat.OpenAIEmbeddings)]
    [InlineData(ProviderKind.Anthropic, WireFormat.OpenAIChat, WireFormat.AnthropicMessages)]
    [InlineData(ProviderKind.Anthropic, WireFormat.OpenAIResponses, WireFormat.AnthropicMessages)]
    [InlineData(ProviderKind.Anthropic, WireFormat.AnthropicMessages, WireFormat.AnthropicMessages)]
    [InlineData(ProviderKind.Anthropic, WireFormat.OpenAIEmbeddings, null)]
    [InlineData(ProviderKind.Bedrock, WireFormat.OpenAIChat, WireFormat.AnthropicMessages)]
    [InlineData(ProviderKind.Bedrock, WireFormat.OpenAIEmbeddings, null)]
    public void UpstreamFormat_PerProvider(ProviderKind kind, WireFormat client, WireFormat? upstream)
    {
        var provider = ModelProviders.For(kind);

        provider.Kind.ShouldBe(kind);
        provider.UpstreamFormat(client).ShouldBe(upstream);
        ModelProviders.For(kind).ShouldBeSameAs(provider);
    }

    [Fact]
    public async Task OpenAI_ChatRequest()
    {
        var before = ChatBody.ToJsonString();
        using var request = ModelProviders.For(ProviderKind.OpenAI).CreateRequest(
            new ProviderEndpoint { Kind = ProviderKind.OpenAI, BaseUrl = new Uri("https://api.openai.com/v1/"), ApiKey = "sk-test" },
            WireFormat.OpenAIChat, "gpt-4o", ChatBody, stream: true);

        request.Method.ShouldBe(HttpMethod.Post);
        request.RequestUri.ShouldBe(new Uri("https://api.openai.com/v1/chat/completions"));
        request.Headers.Authorization!.ToString().ShouldBe("Bearer sk-test");
        request.Headers.Accept.ToString().ShouldBe("text/event-stream");
        request.Content!.Headers.ContentType!.ToString().ShouldBe("application/json");
        (await Body(request)).ShouldEqualJson(before);
        ChatBody.ToJsonString().ShouldBe(before);
    }

    [Fact]
    public async Task OpenAI_NonStreamingDropsStreamFieldsAndEmbeddingsPath()
    {
        var endpoint = new ProviderEndpoint { Kind = ProviderKind.OpenAICompatible, BaseUrl = new Uri("http://127.0.0.1:8000/v1") };
        var provider = ModelProviders.For(ProviderKind.OpenAICompatible);

        using var chat = provider.CreateRequest(endpoint, WireFormat.OpenAIChat, "llama", ChatBody, stream: false);
        chat.RequestUri.ShouldBe(new Uri("http://127.0.0.1:8000/v1/chat/completions"));
        chat.Headers.Authorization.ShouldBeNull();
        chat.Headers.Accept.ToString().ShouldBe("application/json");
        (await Body(chat)).ShouldEqualJson("""{"model":"gpt-4o","messages":[{"role":"user","content":"Hi"}]}""");

        using var embeddings = provider.CreateRequest(endpoint, WireFormat.OpenAIEmbeddings, "e5", Json.Obj("""{"model":"e5","input":"x"}"""), stream: false);
        embeddings.RequestUri.ShouldBe(new Uri("http://127.0.0.1:8000/v1/embeddings"));

        Should.Throw<ModelRequestException>(() => provider.CreateRequest(endpoint, WireFormat.OpenAIResponses, "m", ChatBody, false));
        using var responses = ModelProviders.For(ProviderKind.OpenAI).CreateRequest(
            endpoint with { Kind = ProviderKind.OpenAI }, WireFormat.OpenAIResponses, "m", Json.Obj("""{"model":"m","input":"x"}"""), false);
        responses.RequestUri!.AbsolutePath.ShouldBe("/v1/responses");
    }

    [Fact]
    public async Task Azure_DeploymentUrlApiVersionAndKeyHeader()
    {
        var endpoint = new ProviderEndpoint { Kind = ProviderKind.AzureOpenAI, BaseUrl = new Uri("https://contoso.openai.azure.com/"), ApiKey = "azure-key" };
        var provider = ModelProviders.For(ProviderKind.AzureOpenAI);

        using var request = provider.CreateRequest(endpoint, WireFormat.OpenAIChat, "gpt4o-prod", ChatBody, stream: true);

        request.RequestUri.ShouldBe(new Uri("https://contoso.openai.azure.com/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21"));
        request.Headers.GetValues("api-key").ShouldBe(["azure-key"]);
        request.Headers.Authorization.ShouldBeNull();
        (await Body(request))!["stream"]!.GetValue<bool>().ShouldBeTrue();

        using var embeddings = provider.CreateRequest(endpoint with { ApiVersion = "2025-01-01-preview" }, WireFormat.OpenAIEmbeddings, "ada", Json.Obj("""{"input":"x"}"""), false);
        embeddings.RequestUri.ShouldBe(new Uri("https://contoso.openai.azure.com/openai/deployments/ada/embeddings?api-version=2025-01-01-preview"));
    }

    [Fact]
    public async Task Anthropic_MessagesUrlAndHeaders()
    {
        var endpoint = new ProviderEndpoint { Kind = ProviderKind.Anthropic, BaseUrl = new Uri("https://api.anthropic.com/"), ApiKey = "sk-ant-test" };
        var provider = ModelProviders.For(ProviderKind.Anthropic);

        using var request = provider.CreateRequest(endpoint, WireFormat.AnthropicMessages, "claude", AnthropicBody, stream: true);

        request.RequestUri.ShouldBe(new Uri("https://api.anthropic.com/v1/messages"));
        request.Headers.GetValues("x-api-key").ShouldBe(["sk-ant-test"]);
        request.Headers.GetValues("anthropic-version").ShouldBe(["2023-06-01"]);
        request.Headers.Authorization.ShouldBeNull();
        (await Body(request)).ShouldEqualJson(AnthropicBody.ToJsonString());

        using var versioned = provider.CreateRequest(endpoint with { ApiVersion = "2024-01-01" }, WireFormat.AnthropicMessages, "claude", AnthropicBody, stream: false);
        versioned.Headers.GetValues("anthropic-version").ShouldBe(["2024-01-01"]);
        (await Body(versioned))!.AsObject().ContainsKey("stream").ShouldBeFalse();
        Should.Throw<ModelRequestException>(() => provider.CreateRequest(endpoint, WireFormat.OpenAIChat, "claude", ChatBody, true));
    }

    [Fact]
    public async Task Bedrock_UrlBodyAndSignature()
    {
        var time = new FakeTime(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero));
        var provider = new BedrockProvider(time);
        var endpoint = new ProviderEndpoint
        {
            Kind = ProviderKind.Bedrock,
            BaseUrl = new Uri("https://bedrock-runtime.eu-west-3.amazonaws.com/"),
            ApiKey = "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY:FwoGZXIvYXdzEBYaDH",
        };
        const string model = "anthropic.claude-3-5-sonnet-20240620-v1:0";

        using var request = provider.CreateRequest(endpoint, WireFormat.AnthropicMessages, model, AnthropicBody, stream: true);

        request.RequestUri!.AbsoluteUri.ShouldBe("https://bedrock-runtime.eu-west-3.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream");
        request.RequestUri.PathAndQuery.ShouldBe("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream");
        request.Headers.Accept.ToString().ShouldBe("application/vnd.amazon.eventstream");
        var bytes = await request.Content!.ReadAsByteArrayAsync();
        JsonNode.Parse(bytes).ShouldEqualJson("""{"max_tokens":100,"messages":[{"role":"user","content":"Hi"}],"anthropic_version":"bedrock-2023-05-31"}""");
        AnthropicBody.ContainsKey("model").ShouldBeTrue("the caller's body is not changed");

        var payloadHash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        request.Headers.GetValues("x-amz-date").ShouldBe(["20260304T050607Z"]);
        request.Headers.GetValues("x-amz-content-sha256").ShouldBe([payloadHash]);
        request.Headers.GetValues("x-amz-security-token").ShouldBe(["FwoGZXIvYXdzEBYaDH"]);

        // Recompute the signature independently from the documented algorithm.
        var canonical = string.Join('\n',
            "POST",
            "/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/invoke-with-response-stream",
            "",
            "host:bedrock-runtime.eu-west-3.amazonaws.com",
            "x-amz-content-sha256:" + payloadHash,
            "x-amz-date:20260304T050607Z",
            "x-amz-security-token:FwoGZXIvYXdzEBYaDH",
            "",
            "host;x-amz-content-sha256;x-amz-date;x-amz-security-token",
            payloadHash);
        var scope = "20260304/eu-west-3/bedrock/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n20260304T050607Z\n{scope}\n{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))}";
        var key = Encoding.UTF8.GetBytes("AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        foreach (var part in (string[])["20260304", "eu-west-3", "bedrock", "aws4_request"])
        {
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        }

        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(stringToSign)));
        request.Headers.GetValues("Authorization").ShouldBe([
            $"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature={signature}",
        ]);
    }

    [Fact]
    public async Task Bedrock_NonStreamingRegionOverrideAndErrors()
    {
        var provider = new BedrockProvider(new FakeTime());
        var endpoint = new ProviderEndpoint { Kind = ProviderKind.Bedrock, BaseUrl = new Uri("https://vpce-123.bedrock-runtime.example.internal/"), ApiKey = "AK:SECRET", Region = "us-west-2" };

        using var request = provider.CreateRequest(endpoint, WireFormat.AnthropicMessages, "anthropic.claude-v2:1", AnthropicBody, stream: false);

        request.RequestUri!.AbsolutePath.ShouldBe("/model/anthropic.claude-v2%3A1/invoke");
        request.Headers.GetValues("Authorization").Single().ShouldContain("/us-west-2/bedrock/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date,");
        request.Headers.Contains("x-amz-security-token").ShouldBeFalse();
        (await Body(request))!.AsObject().ContainsKey("stream").ShouldBeFalse();

        Should.Throw<InvalidOperationException>(() => provider.CreateRequest(endpoint with { Region = null }, WireFormat.AnthropicMessages, "m", AnthropicBody, false));
        var badKey = Should.Throw<InvalidOperationException>(() => provider.CreateRequest(endpoint with { ApiKey = "not-a-pair" }, WireFormat.AnthropicMessages, "m", AnthropicBody, false));
        badKey.Message.ShouldNotContain("not-a-pair");
        BedrockProvider.RegionFromHost("bedrock-runtime.ap-southeast-2.amazonaws.com").ShouldBe("ap-southeast-2");
        BedrockProvider.RegionFromHost("bedrock-runtime-fips.us-east-1.amazonaws.com").ShouldBe("us-east-1");
    }

    [Fact]
    public async Task SseProviders_ReadEventsFromTheResponse()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK)
        {
            Content = new StreamContent(new TrickleStream(Encoding.UTF8.GetBytes(Sse.Write(StreamTranscripts.AnthropicToolStream)))),
        };

        var events = new List<SseEvent>();
        await foreach (var e in ModelProviders.For(ProviderKind.Anthropic).ReadEventsAsync(response, CancellationToken.None))
        {
            events.Add(e);
        }

        events.ShouldBe(StreamTranscripts.AnthropicToolStream);
    }

    [Fact]
    public void Endpoint_ToStringHidesTheKey()
    {
        var endpoint = new ProviderEndpoint { Kind = ProviderKind.OpenAI, BaseUrl = new Uri("https://api.openai.com/v1/"), ApiKey = "sk-very-secret-123" };

        endpoint.ToString().ShouldNotContain("sk-very-secret-123");
        endpoint.ToString().ShouldContain("ApiKey = ***");
        endpoint.ToString().ShouldContain("https://api.openai.com/v1/");
    }

    private static async Task<JsonNode?> Body(HttpRequestMessage request) => JsonNode.Parse(await request.Content!.ReadAsStringAsync());
}
