using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace Warden.ScriptedModel.Tests;

/// <summary>The official Anthropic .NET SDK, unmodified but for its base URL, key and retries, against the server.</summary>
public sealed class AnthropicSdkTests
{
    // The SDK appends "/v1/messages" to BaseUrl, so the base is the server root.
    private static AnthropicClient Client(ScriptedModelServer server, string key = "test-key") =>
        new(new ClientOptions { BaseUrl = server.BaseAddress.ToString().TrimEnd('/'), ApiKey = key, MaxRetries = 0 });

    private static MessageCreateParams Params(string text, IReadOnlyList<ToolUnion>? tools = null) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = 1024,
        Messages = [new MessageParam(new UserMessageParam(text), null)],
        Tools = tools,
    };

    [Fact]
    public async Task Message_ReturnsScriptedTextAndUsage()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Hello from Claude's stand-in.", InputTokens = 21, OutputTokens = 8 });

        var message = await Client(server).Messages.Create(Params("Hello"));

        message.Content.ShouldHaveSingleItem().TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Hello from Claude's stand-in.");
        message.StopReason?.Raw().ShouldBe("end_turn");
        message.Model.Raw().ShouldBe("claude-sonnet-4-5");
        message.Usage.InputTokens.ShouldBe(21);
        message.Usage.OutputTokens.ShouldBe(8);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Format.ShouldBe(WireFormat.AnthropicMessages);
        // This SDK version sends the API key as a bearer token, not x-api-key; the API accepts either.
        request.Header("Authorization").ShouldBe("Bearer test-key");
        request.Header("anthropic-version").ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Message_ToolUse_IsParsed()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn
        {
            Text = "Let me look.",
            ToolCalls = [new ScriptedToolCall("toolu_01abc", "read_file", """{"path":"README.md","lines":[1,20]}""")],
        });

        var message = await Client(server).Messages.Create(Params("Read it"));

        message.Content.Count.ShouldBe(2);
        message.Content[0].TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("Let me look.");
        message.Content[1].TryPickToolUse(out var tool).ShouldBeTrue();
        tool!.ID.ShouldBe("toolu_01abc");
        tool.Name.ShouldBe("read_file");
        tool.Input["path"].GetString().ShouldBe("README.md");
        tool.Input["lines"].GetArrayLength().ShouldBe(2);
        message.StopReason?.Raw().ShouldBe("tool_use");
    }

    [Fact]
    public async Task MessageStreaming_DeliversTextAndToolInputDeltas()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn
        {
            Text = "Checking the weather now.",
            ToolCalls = [new ScriptedToolCall(string.Empty, "get_weather", """{"city":"Amsterdam","unit":"celsius"}""")],
            ChunkSize = 6,
            InputTokens = 30,
            OutputTokens = 17,
        });

        var text = new StringBuilder();
        var json = new StringBuilder();
        var types = new List<string>();
        string? toolName = null, toolId = null;
        long? inputTokens = null, outputTokens = null;
        string? stopReason = null;
        await foreach (var e in Client(server).Messages.CreateStreaming(Params("Weather?")))
        {
            types.Add(e.Type.Raw());
            if (e.TryPickStart(out var start))
            {
                inputTokens = start!.Message.Usage.InputTokens;
            }
            else if (e.TryPickContentBlockStart(out var block) && block!.ContentBlock.TryPickToolUse(out var use))
            {
                toolName = use!.Name;
                toolId = use.ID;
            }
            else if (e.TryPickContentBlockDelta(out var delta))
            {
                if (delta!.Delta.TryPickText(out var t))
                {
                    text.Append(t!.Text);
                }
                else if (delta.Delta.TryPickInputJson(out var j))
                {
                    json.Append(j!.PartialJson);
                }
            }
            else if (e.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta!.Usage.OutputTokens;
                stopReason = messageDelta.Delta.StopReason?.Raw();
            }
        }

        text.ToString().ShouldBe("Checking the weather now.");
        json.ToString().ShouldBe("""{"city":"Amsterdam","unit":"celsius"}""");
        toolName.ShouldBe("get_weather");
        toolId.ShouldNotBeNull().ShouldStartWith("toolu_");
        inputTokens.ShouldBe(30);
        outputTokens.ShouldBe(17);
        stopReason.ShouldBe("tool_use");
        types[0].ShouldBe("message_start");
        types[^1].ShouldBe("message_stop");
        server.Requests.ShouldHaveSingleItem().Stream.ShouldBeTrue();
    }

    [Theory]
    [InlineData(429, typeof(AnthropicRateLimitException), "rate_limit_error")]
    [InlineData(500, typeof(AnthropicApiException), "api_error")]
    [InlineData(529, typeof(AnthropicApiException), "overloaded_error")]
    [InlineData(400, typeof(AnthropicBadRequestException), "invalid_request_error")]
    public async Task ErrorStatuses_SurfaceAsSdkExceptions(int status, System.Type expected, string errorType)
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(status, retryAfter: "7")));

        var e = await Should.ThrowAsync<AnthropicApiException>(() => Client(server).Messages.Create(Params("Hi")));

        e.ShouldBeAssignableTo(expected);
        ((int)e.StatusCode).ShouldBe(status);
        using var body = JsonDocument.Parse(e.ResponseBody);
        body.RootElement.GetProperty("type").GetString().ShouldBe("error");
        body.RootElement.GetProperty("error").GetProperty("type").GetString().ShouldBe(errorType);
        body.RootElement.GetProperty("request_id").GetString().ShouldStartWith("req_");
    }

    [Fact]
    public async Task StreamingRequest_WithErrorStatus_ThrowsBeforeAnyEvent()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(529)));

        var e = await Should.ThrowAsync<AnthropicApiException>(async () =>
        {
            await foreach (var _ in Client(server).Messages.CreateStreaming(Params("Hi")))
            {
            }
        });

        ((int)e.StatusCode).ShouldBe(529);
    }

    [Fact]
    public async Task RequiredApiKey_IsEnforced()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = "sk-ant-right" });

        var e = await Should.ThrowAsync<AnthropicUnauthorizedException>(() => Client(server, "sk-ant-wrong").Messages.Create(Params("Hi")));
        e.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        e.ResponseBody.ShouldContain("authentication_error");
        e.ResponseBody.ShouldContain("invalid x-api-key");

        var message = await Client(server, "sk-ant-right").Messages.Create(Params("Hi"));
        message.Content[0].TryPickText(out var text).ShouldBeTrue();
        text!.Text.ShouldBe("scripted reply to: Hi");
    }
}
