using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;
using Warden.Client.Contracts;
using Warden.ScriptedModel;
using ScriptedFormat = Warden.ScriptedModel.WireFormat;

#pragma warning disable OPENAI001 // The Responses client is marked experimental in this SDK version.

namespace Warden.IntegrationTests.Gateway;

/// <summary>Azure OpenAI, AWS Bedrock and the Responses API through the gateway, each against its scripted wire format.</summary>
public sealed class GatewayProviderTests
{
    [Fact]
    public async Task AzureOpenAI_IsCalledByDeploymentWithItsApiKeyHeader()
    {
        await using var f = await GatewayFixture.StartAsync();
        await using var azure = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = "azure-key-123" });
        await f.Admin.PutModelProviderAsync(GatewayFixture.Org, "azure", new PutModelProviderRequest("azure-openai", azure.BaseAddress.ToString(), ApiVersion: "2024-10-21", Credential: "azure-key-123"));
        await f.RouteAsync("gpt", ["azure:prod-gpt4o"]);
        var key = await f.KeyAsync();
        azure.Enqueue(new ScriptedTurn { Text = "Azure says hi.", InputTokens = 3, OutputTokens = 4 });

        var chat = new ChatClient("gpt", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = f.GatewayV1, RetryPolicy = new ClientRetryPolicy(0) });
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("hi")]);

        completion.Content.Single().Text.ShouldBe("Azure says hi.");
        var upstream = azure.Requests.ShouldHaveSingleItem();
        upstream.Path.ShouldBe("/openai/deployments/prod-gpt4o/chat/completions");
        upstream.Query.ShouldContain("api-version=2024-10-21");
        upstream.Header("api-key").ShouldBe("azure-key-123");
        upstream.Header("Authorization").ShouldBeNull();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Bedrock_IsCalledWithSigV4_AndItsEventStreamBecomesAnthropicEvents(bool stream)
    {
        await using var f = await GatewayFixture.StartAsync();
        await using var bedrock = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        await f.Admin.PutModelProviderAsync(GatewayFixture.Org, "bedrock", new PutModelProviderRequest("bedrock", bedrock.BaseAddress.ToString(), Region: "eu-west-1",
            Credential: "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        await f.RouteAsync("claude", ["bedrock:anthropic.claude-3-5-sonnet-20240620-v1:0"]);
        var key = await f.KeyAsync();
        bedrock.Enqueue(new ScriptedTurn { Text = "Hello from Bedrock.", ChunkSize = 6, InputTokens = 12, OutputTokens = 5 });
        var client = new AnthropicClient(new ClientOptions { BaseUrl = f.Server.BaseAddress.ToString().TrimEnd('/'), ApiKey = key, MaxRetries = 0 });
        var request = new MessageCreateParams { Model = "claude", MaxTokens = 100, Messages = [new MessageParam(new UserMessageParam("hi"), null)] };

        string text;
        if (stream)
        {
            var sb = new StringBuilder();
            await foreach (var e in client.Messages.CreateStreaming(request))
            {
                if (e.TryPickContentBlockDelta(out var d) && d.Delta.TryPickText(out var t))
                {
                    sb.Append(t.Text);
                }
            }

            text = sb.ToString();
        }
        else
        {
            var message = await client.Messages.Create(request);
            message.Content.Single().TryPickText(out var t).ShouldBeTrue();
            text = t!.Text;
        }

        text.ShouldBe("Hello from Bedrock.");
        var upstream = bedrock.Requests.ShouldHaveSingleItem();
        upstream.Path.ShouldBe(stream ? "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke-with-response-stream" : "/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke");
        upstream.Header("Authorization")!.ShouldStartWith("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/");
        upstream.Header("Authorization")!.ShouldContain("/eu-west-1/bedrock/aws4_request");
        upstream.Body.ShouldContain("bedrock-2023-05-31");
        upstream.Body.ShouldNotContain("wJalrXUtnFEMI");
        (await f.CallsAsync()).Single().OutputTokens.ShouldBe(5);
    }

    [Theory]
    [InlineData("openai-compatible", false)]
    [InlineData("openai-compatible", true)]
    [InlineData("openai", true)]
    public async Task TheResponsesApi_IsServedNativelyOrOverChatCompletions(string kind, bool stream)
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.Admin.PutModelProviderAsync(GatewayFixture.Org, "p", new PutModelProviderRequest(kind, f.OpenAI.OpenAIEndpoint.ToString(), Credential: GatewayFixture.OpenAIUpstreamKey));
        await f.RouteAsync("r", ["p:gpt-4o"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn
        {
            Text = "Answer via responses.", InputTokens = 8, OutputTokens = 6,
            ToolCalls = [new ScriptedToolCall("call_5", "lookup", """{"q":"x"}""")],
        });
        var client = new ResponsesClient(new ApiKeyCredential(key), new ResponsesClientOptions { Endpoint = f.GatewayV1, RetryPolicy = new ClientRetryPolicy(0) });

        ResponseResult result;
        if (stream)
        {
            ResponseResult? completed = null;
            var text = new StringBuilder();
            await foreach (var update in await client.CreateResponseStreamingAsync("r", "hello", null))
            {
                if (update is StreamingResponseOutputTextDeltaUpdate delta)
                {
                    text.Append(delta.Delta);
                }
                else if (update is StreamingResponseCompletedUpdate done)
                {
                    completed = done.Response;
                }
            }

            text.ToString().ShouldBe("Answer via responses.");
            result = completed.ShouldNotBeNull();
        }
        else
        {
            result = await client.CreateResponseAsync("r", "hello", null);
            result.GetOutputText().ShouldBe("Answer via responses.");
        }

        result.OutputItems.OfType<FunctionCallResponseItem>().Single().FunctionName.ShouldBe("lookup");
        result.Usage.OutputTokenCount.ShouldBe(6);
        f.OpenAI.Requests.Single().Format.ShouldBe(kind == "openai" ? ScriptedFormat.OpenAIResponses : ScriptedFormat.OpenAIChatCompletions);
    }
}
