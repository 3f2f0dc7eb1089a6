using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace Warden.ScriptedModel.Tests;

/// <summary>The official OpenAI .NET SDK, unmodified but for its endpoint, key and (for error tests) retries, against the server.</summary>
public sealed class OpenAISdkTests
{
    private static OpenAIClientOptions Options(ScriptedModelServer server, bool retries = false)
    {
        var options = new OpenAIClientOptions { Endpoint = server.OpenAIEndpoint };
        if (!retries)
        {
            options.RetryPolicy = new ClientRetryPolicy(maxRetries: 0);
        }

        return options;
    }

    private static ChatClient Chat(ScriptedModelServer server, string key = "test-key", bool retries = false) =>
        new("gpt-4o-mini", new ApiKeyCredential(key), Options(server, retries));

    private static ChatTool ReadFileTool() => ChatTool.CreateFunctionTool("read_file", "Reads a file.",
        BinaryData.FromString("""{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}"""));

    [Fact]
    public async Task ChatCompletion_ReturnsScriptedTextAndUsage()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Hello from the script.", InputTokens = 12, OutputTokens = 5 });

        ChatCompletion completion = await Chat(server).CompleteChatAsync([new UserChatMessage("Hi there")]);

        completion.Content.ShouldHaveSingleItem().Text.ShouldBe("Hello from the script.");
        completion.Role.ShouldBe(ChatMessageRole.Assistant);
        completion.FinishReason.ShouldBe(ChatFinishReason.Stop);
        completion.Model.ShouldBe("gpt-4o-mini");
        completion.Usage.InputTokenCount.ShouldBe(12);
        completion.Usage.OutputTokenCount.ShouldBe(5);
        completion.Usage.TotalTokenCount.ShouldBe(17);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Format.ShouldBe(WireFormat.OpenAIChatCompletions);
        request.Path.ShouldBe("/v1/chat/completions");
        request.Method.ShouldBe("POST");
        request.Model.ShouldBe("gpt-4o-mini");
        request.Stream.ShouldBeFalse();
        request.Header("Authorization").ShouldBe("Bearer test-key");
        request.Body.ShouldContain("Hi there");
    }

    [Fact]
    public async Task ChatStreaming_DeliversTextInPiecesWithUsage()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "One two three four five.", InputTokens = 7, OutputTokens = 6 });

        var text = new StringBuilder();
        var pieces = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(server).CompleteChatStreamingAsync([new UserChatMessage("Count")]))
        {
            // The first chunk carries the role and an empty content, as OpenAI's does.
            foreach (var part in update.ContentUpdate.Where(p => p.Text.Length > 0))
            {
                text.Append(part.Text);
                pieces++;
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        text.ToString().ShouldBe("One two three four five.");
        pieces.ShouldBe(5);
        finish.ShouldBe(ChatFinishReason.Stop);

        // The SDK asks for the usage chunk itself.
        var request = server.Requests.ShouldHaveSingleItem();
        request.Stream.ShouldBeTrue();
        using var body = JsonDocument.Parse(request.Body);
        body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().ShouldBeTrue();
        usage.ShouldNotBeNull();
        usage.InputTokenCount.ShouldBe(7);
        usage.OutputTokenCount.ShouldBe(6);
    }

    [Fact]
    public async Task ChatToolCalls_RoundTripThroughTheSdk()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Calling(new ScriptedToolCall("call_abc", "read_file", """{"path":"README.md"}""")));
        server.Enqueue(ScriptedTurn.Reply("The README says hello."));
        var client = Chat(server);
        var options = new ChatCompletionOptions { Tools = { ReadFileTool() } };
        List<ChatMessage> messages = [new UserChatMessage("Read the README")];

        ChatCompletion first = await client.CompleteChatAsync(messages, options);

        first.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        first.Content.ShouldBeEmpty();
        var call = first.ToolCalls.ShouldHaveSingleItem();
        call.Id.ShouldBe("call_abc");
        call.FunctionName.ShouldBe("read_file");
        using (var arguments = JsonDocument.Parse(call.FunctionArguments))
        {
            arguments.RootElement.GetProperty("path").GetString().ShouldBe("README.md");
        }

        messages.Add(new AssistantChatMessage(first));
        messages.Add(new ToolChatMessage(call.Id, "# Hello"));
        ChatCompletion second = await client.CompleteChatAsync(messages, options);

        second.Content.ShouldHaveSingleItem().Text.ShouldBe("The README says hello.");
        var followUp = server.Requests[1].Body;
        followUp.ShouldContain("\"tool_call_id\":\"call_abc\"");
        followUp.ShouldContain("\"read_file\"");
    }

    [Fact]
    public async Task ChatStreaming_AssemblesToolCallsFromDeltas()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn
        {
            Text = "Reading both.",
            ChunkSize = 5,
            ToolCalls =
            [
                new ScriptedToolCall("call_1", "read_file", """{"path":"src/Program.cs"}"""),
                new ScriptedToolCall("call_2", "read_file", """{"path":"README.md"}"""),
            ],
        });

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        var argumentUpdates = 0;
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in Chat(server).CompleteChatStreamingAsync([new UserChatMessage("Read")], new ChatCompletionOptions { Tools = { ReadFileTool() } }))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            foreach (var tool in update.ToolCallUpdates)
            {
                if (tool.ToolCallId is not null)
                {
                    ids[tool.Index] = tool.ToolCallId;
                }

                if (tool.FunctionName is not null)
                {
                    names[tool.Index] = tool.FunctionName;
                }

                var piece = tool.FunctionArgumentsUpdate?.ToString() ?? string.Empty;
                if (piece.Length > 0)
                {
                    argumentUpdates++;
                }

                (arguments.TryGetValue(tool.Index, out var sb) ? sb : arguments[tool.Index] = new StringBuilder()).Append(piece);
            }

            finish ??= update.FinishReason;
        }

        text.ToString().ShouldBe("Reading both.");
        finish.ShouldBe(ChatFinishReason.ToolCalls);
        ids.ShouldBe(new Dictionary<int, string> { [0] = "call_1", [1] = "call_2" });
        names.Values.ShouldAllBe(n => n == "read_file");
        arguments[0].ToString().ShouldBe("""{"path":"src/Program.cs"}""");
        arguments[1].ToString().ShouldBe("""{"path":"README.md"}""");
        argumentUpdates.ShouldBeGreaterThan(4, "arguments arrive in several pieces");
    }

    [Theory]
    [InlineData(400)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ErrorStatuses_SurfaceAsClientResultExceptions(int status)
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(status)));

        var e = await Should.ThrowAsync<ClientResultException>(() => Chat(server).CompleteChatAsync([new UserChatMessage("Hi")]));

        e.Status.ShouldBe(status);
        var raw = e.GetRawResponse().ShouldNotBeNull();
        using var body = JsonDocument.Parse(raw.Content);
        var error = body.RootElement.GetProperty("error");
        error.GetProperty("message").GetString().ShouldNotBeNullOrEmpty();
        error.GetProperty("type").GetString().ShouldNotBeNullOrEmpty();
        error.TryGetProperty("param", out _).ShouldBeTrue();
        error.TryGetProperty("code", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task RateLimit_WithRetryAfter_IsRetriedBySdkAndSucceeds()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Failing(ScriptedFault.Status(429, retryAfter: "0")));
        server.Enqueue(ScriptedTurn.Reply("after the retry"));

        ChatCompletion completion = await Chat(server, retries: true).CompleteChatAsync([new UserChatMessage("Hi")]);

        completion.Content[0].Text.ShouldBe("after the retry");
        server.RequestCount.ShouldBe(2);
    }

    [Fact]
    public async Task RequiredApiKey_IsEnforced()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { RequiredApiKey = "sk-right-key-123456" });

        var e = await Should.ThrowAsync<ClientResultException>(() => Chat(server, "sk-wrong-key-654321").CompleteChatAsync([new UserChatMessage("Hi")]));
        e.Status.ShouldBe(401);
        e.Message.ShouldContain("Incorrect API key provided: sk-***4321");

        ChatCompletion completion = await Chat(server, "sk-right-key-123456").CompleteChatAsync([new UserChatMessage("Hi")]);
        completion.Content[0].Text.ShouldBe("scripted reply to: Hi");
        server.PendingTurns.ShouldBe(0);
    }

    [Fact]
    public async Task Embeddings_AreDeterministicUnitVectorsOfTheRequestedSize()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential("test-key"), Options(server));

        OpenAIEmbedding first = await client.GenerateEmbeddingAsync("hello world", new EmbeddingGenerationOptions { Dimensions = 64 });
        OpenAIEmbedding again = await client.GenerateEmbeddingAsync("hello world", new EmbeddingGenerationOptions { Dimensions = 64 });
        OpenAIEmbeddingCollection many = await client.GenerateEmbeddingsAsync(["hello world", "something else"]);

        var vector = first.ToFloats().ToArray();
        vector.Length.ShouldBe(64);
        Math.Sqrt(vector.Sum(v => (double)v * v)).ShouldBe(1.0, 1e-5);
        again.ToFloats().ToArray().ShouldBe(vector);
        many.Count.ShouldBe(2);
        many[0].ToFloats().Length.ShouldBe(1536);
        many[1].Index.ShouldBe(1);
        many[0].ToFloats().ToArray().ShouldNotBe(many[1].ToFloats().ToArray());
        many.Usage.InputTokenCount.ShouldBeGreaterThan(0);
        server.Requests.ShouldAllBe(r => r.Format == WireFormat.OpenAIEmbeddings);
    }
}
