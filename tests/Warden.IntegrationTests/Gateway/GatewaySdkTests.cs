using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using Warden.ScriptedModel;
using ScriptedFormat = Warden.ScriptedModel.WireFormat;

namespace Warden.IntegrationTests.Gateway;

/// <summary>
/// The official OpenAI and Anthropic .NET SDKs, unmodified but for base URL and key, pointed at the gateway, which
/// routes to scripted providers in the same or the other format.
/// </summary>
public sealed class GatewaySdkTests
{
    private static ChatClient OpenAIChat(GatewayFixture f, string key, string model) =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = f.GatewayV1, RetryPolicy = new ClientRetryPolicy(0), UserAgentApplicationId = "codex" });

    private static AnthropicClient AnthropicSdk(GatewayFixture f, string key) =>
        new(new ClientOptions { BaseUrl = f.Server.BaseAddress.ToString().TrimEnd('/'), ApiKey = key, MaxRetries = 0 });

    private static MessageCreateParams Params(string model, string text, IReadOnlyList<ToolUnion>? tools = null) => new()
    {
        Model = model,
        MaxTokens = 512,
        Messages = [new MessageParam(new UserMessageParam(text), null)],
        Tools = tools,
    };

    [Fact]
    public async Task OpenAISdk_ChatThroughTheGateway_ReachesTheProviderWithItsOwnKey_AndIsMeteredAndAudited()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:gpt-4o-mini"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn { Text = "Hello through Warden.", InputTokens = 1_000, OutputTokens = 200 });

        ChatCompletion completion = await OpenAIChat(f, key, "coder").CompleteChatAsync([new UserChatMessage("Hi")]);

        completion.Content.ShouldHaveSingleItem().Text.ShouldBe("Hello through Warden.");
        completion.Usage.InputTokenCount.ShouldBe(1_000);
        var upstream = f.OpenAI.Requests.ShouldHaveSingleItem();
        upstream.Model.ShouldBe("gpt-4o-mini");
        upstream.Header("Authorization").ShouldBe("Bearer " + GatewayFixture.OpenAIUpstreamKey);
        upstream.Body.ShouldNotContain(key);

        var call = (await f.InvocationsAsync()).ShouldHaveSingleItem();
        call.Outcome.ShouldBe("success");
        call.ActorKind.ShouldBe("api_key");
        call.Product.ShouldBe("codex");
        call.ResourceId.ShouldBe("coder");
        var record = call.Record.GetRawText();
        record.ShouldContain("\"gen_ai.usage.input_tokens\":1000");
        record.ShouldContain("\"gen_ai.response.model\":\"gpt-4o-mini\"");
        record.ShouldNotContain(key);
        // gpt-4o-mini list price: 1000 * 0.15 + 200 * 0.60 per million = 270 micro-dollars.
        var usage = (await f.CallsAsync()).ShouldHaveSingleItem();
        usage.CostUsd.ShouldBe(0.00027m);
        usage.Provider.ShouldBe("vllm");
        usage.Status.ShouldBe(200);
    }

    [Fact]
    public async Task OpenAISdk_StreamsToolCallsThroughTheGateway_AndUsageIsCountedFromTheStream()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("coder", ["vllm:gpt-4o"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn
        {
            Text = "Reading it now.", ChunkSize = 4, InputTokens = 50, OutputTokens = 30,
            ToolCalls = [new ScriptedToolCall("call_1", "read_file", """{"path":"src/app.cs"}""")],
        });
        var tool = ChatTool.CreateFunctionTool("read_file", "Reads a file.", BinaryData.FromString("""{"type":"object","properties":{"path":{"type":"string"}}}"""));

        var text = new System.Text.StringBuilder();
        var args = new System.Text.StringBuilder();
        string? toolName = null;
        ChatFinishReason? finish = null;
        await foreach (var update in OpenAIChat(f, key, "coder").CompleteChatStreamingAsync([new UserChatMessage("read app.cs")], new ChatCompletionOptions { Tools = { tool } }))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            foreach (var call in update.ToolCallUpdates)
            {
                toolName ??= call.FunctionName;
                args.Append(call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
        }

        text.ToString().ShouldBe("Reading it now.");
        toolName.ShouldBe("read_file");
        JsonDocument.Parse(args.ToString()).RootElement.GetProperty("path").GetString().ShouldBe("src/app.cs");
        finish.ShouldBe(ChatFinishReason.ToolCalls);
        // The gateway asked the provider for usage even though the client did not.
        f.OpenAI.Requests.Single().Body.ShouldContain("include_usage");
        var usage = (await f.InvocationsAsync()).Single().Record.GetRawText();
        usage.ShouldContain("\"gen_ai.usage.output_tokens\":30");
        (await f.CallsAsync()).Single().Streamed.ShouldBeTrue();
    }

    [Fact]
    public async Task AnthropicSdk_MessagesWithToolUse_PassThroughToAnthropic()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("claude", ["claude:claude-sonnet-4-20250514"]);
        var key = await f.KeyAsync();
        f.Anthropic.Enqueue(new ScriptedTurn
        {
            Text = "Let me check.", InputTokens = 40, OutputTokens = 12,
            ToolCalls = [new ScriptedToolCall("toolu_1", "run_tests", """{"filter":"Unit"}""")],
        });

        var message = await AnthropicSdk(f, key).Messages.Create(Params("claude", "run the tests"));

        message.Content.Count.ShouldBe(2);
        message.Content[1].TryPickToolUse(out var use).ShouldBeTrue();
        use!.Name.ShouldBe("run_tests");
        use.Input["filter"].GetString().ShouldBe("Unit");
        var upstream = f.Anthropic.Requests.ShouldHaveSingleItem();
        upstream.Format.ShouldBe(ScriptedFormat.AnthropicMessages);
        upstream.Header("x-api-key").ShouldBe(GatewayFixture.AnthropicUpstreamKey);
        upstream.Model.ShouldBe("claude-sonnet-4-20250514");
    }

    [Fact]
    public async Task AnthropicSdk_StreamingToAnOpenAICompatibleModel_IsTranslatedBothWays()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("local", ["vllm:qwen2.5-coder"]);
        var key = await f.KeyAsync();
        f.OpenAI.Enqueue(new ScriptedTurn
        {
            Text = "Translated stream.", ChunkSize = 5, InputTokens = 17, OutputTokens = 9,
            ToolCalls = [new ScriptedToolCall("call_9", "grep", """{"pattern":"TODO"}""")],
        });

        var text = new System.Text.StringBuilder();
        var json = new System.Text.StringBuilder();
        string? tool = null;
        long? output = null;
        await foreach (var e in AnthropicSdk(f, key).Messages.CreateStreaming(Params("local", "find todos")))
        {
            if (e.TryPickContentBlockDelta(out var delta))
            {
                if (delta.Delta.TryPickText(out var t))
                {
                    text.Append(t.Text);
                }

                if (delta.Delta.TryPickInputJson(out var j))
                {
                    json.Append(j.PartialJson);
                }
            }

            if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var use))
            {
                tool = use.Name;
            }

            if (e.TryPickDelta(out var md))
            {
                output = md.Usage.OutputTokens;
            }
        }

        text.ToString().ShouldBe("Translated stream.");
        tool.ShouldBe("grep");
        JsonDocument.Parse(json.ToString()).RootElement.GetProperty("pattern").GetString().ShouldBe("TODO");
        output.ShouldBe(9);
        var upstream = f.OpenAI.Requests.ShouldHaveSingleItem();
        upstream.Format.ShouldBe(ScriptedFormat.OpenAIChatCompletions);
        upstream.Model.ShouldBe("qwen2.5-coder");
        (await f.CallsAsync()).Single().OutputTokens.ShouldBe(9);
    }

    [Fact]
    public async Task OpenAISdk_ToAnAnthropicModel_IsTranslated()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("sonnet", ["claude:claude-sonnet-4-20250514"]);
        var key = await f.KeyAsync();
        f.Anthropic.Enqueue(new ScriptedTurn { Text = "From Claude, in OpenAI's shape.", InputTokens = 11, OutputTokens = 7 });

        ChatCompletion completion = await OpenAIChat(f, key, "sonnet").CompleteChatAsync([new SystemChatMessage("Be brief."), new UserChatMessage("Hi")]);

        completion.Content.Single().Text.ShouldBe("From Claude, in OpenAI's shape.");
        completion.Usage.OutputTokenCount.ShouldBe(7);
        var body = JsonDocument.Parse(f.Anthropic.Requests.Single().Body).RootElement;
        body.GetProperty("system").ToString().ShouldContain("Be brief.");
        body.GetProperty("max_tokens").GetInt32().ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task Embeddings_AndTheModelList_AreServedForTheKeysAllowedModels()
    {
        await using var f = await GatewayFixture.StartAsync();
        await f.RouteAsync("embed", ["vllm:text-embedding-3-small"]);
        await f.RouteAsync("coder", ["vllm:gpt-4o"]);
        var key = await f.KeyAsync(new Client.Contracts.CreateVirtualKeyRequest("embed-only", AllowedModels: ["embed"]));

        var client = new EmbeddingClient("embed", new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = f.GatewayV1, RetryPolicy = new ClientRetryPolicy(0) });
        OpenAIEmbedding embedding = await client.GenerateEmbeddingAsync("hello", new EmbeddingGenerationOptions { Dimensions = 16 });
        embedding.ToFloats().Length.ShouldBe(16);

        var models = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = f.GatewayV1 }).GetOpenAIModelClient();
        var listed = (await models.GetModelsAsync()).Value.Select(m => m.Id).ToList();
        listed.ShouldBe(["embed"]);
    }
}
