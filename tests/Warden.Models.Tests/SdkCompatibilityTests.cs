using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using Anthropic;
using Anthropic.Models.Messages;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;

namespace Warden.Models.Tests;

/// <summary>The official OpenAI (2.15.0) and Anthropic (13.12.0) SDKs parse what the translators produce.</summary>
public sealed class SdkCompatibilityTests
{
    [Fact]
    public async Task OpenAIChatSdk_ParsesStreamTranslatedFromAnthropic()
    {
        var handler = Serve(Translate(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, StreamTranscripts.AnthropicToolStream), "text/event-stream");
        var client = new ChatClient("alias", new ApiKeyCredential("k"), OpenAIOptions(handler));

        var text = "";
        var tools = new SortedDictionary<int, (string? Id, string? Name, string Args)>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Weather?")]))
        {
            text += string.Concat(update.ContentUpdate.Select(p => p.Text));
            foreach (var call in update.ToolCallUpdates)
            {
                var current = tools.GetValueOrDefault(call.Index, (null, null, ""));
                tools[call.Index] = (current.Id ?? call.ToolCallId, current.Name ?? call.FunctionName, current.Args + call.FunctionArgumentsUpdate?.ToString());
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        text.ShouldBe("Okay, let's check.");
        tools.Values.ShouldBe([
            ("toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather", """{"location": "San Francisco, CA", "unit": "fahrenheit"}"""),
            ("toolu_02", "get_time", """{"tz":"PST"}"""),
        ]);
        finish.ShouldBe(ChatFinishReason.ToolCalls);
        usage!.InputTokenCount.ShouldBe(572);
        usage.OutputTokenCount.ShouldBe(89);
        usage.InputTokenDetails.CachedTokenCount.ShouldBe(100);
    }

    [Fact]
    public async Task OpenAIChatSdk_ParsesResponseTranslatedFromAnthropic()
    {
        var anthropic = Json.Obj("""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Hi!"},{"type":"tool_use","id":"toolu_9","name":"f","input":{"a":1}}],
             "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5}}
            """);
        var translated = WireTranslator.TranslateResponse(WireFormat.AnthropicMessages, WireFormat.OpenAIChat, anthropic, "alias");
        var client = new ChatClient("alias", new ApiKeyCredential("k"), OpenAIOptions(Serve(translated.ToJsonString(), "application/json")));

        ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage("Hi")]);

        completion.Id.ShouldBe("chatcmpl-01");
        completion.Content.Single().Text.ShouldBe("Hi!");
        completion.ToolCalls.Single().Id.ShouldBe("toolu_9");
        completion.ToolCalls.Single().FunctionArguments.ToString().ShouldBe("""{"a":1}""");
        completion.FinishReason.ShouldBe(ChatFinishReason.ToolCalls);
        completion.Usage.TotalTokenCount.ShouldBe(15);
    }

    [Fact]
    public async Task OpenAIResponsesSdk_ParsesStreamTranslatedFromChatAndAnthropic()
    {
        foreach (var (from, upstream) in new[] { (WireFormat.OpenAIChat, StreamTranscripts.ChatToolStream), (WireFormat.AnthropicMessages, StreamTranscripts.AnthropicToolStream) })
        {
            var handler = Serve(Translate(from, WireFormat.OpenAIResponses, upstream), "text/event-stream");
            var client = new ResponsesClient(new ApiKeyCredential("k"), new ResponsesClientOptions
            {
                Endpoint = new Uri("http://gateway.test/v1"),
                Transport = new HttpClientPipelineTransport(new HttpClient(handler)),
            });

            var deltas = "";
            ResponseResult? final = null;
            await foreach (var update in await client.CreateResponseStreamingAsync("alias", "Weather?", null))
            {
                switch (update)
                {
                    case StreamingResponseOutputTextDeltaUpdate delta:
                        deltas += delta.Delta;
                        break;
                    case StreamingResponseCompletedUpdate completed:
                        final = completed.Response;
                        break;
                    default:
                        break;
                }
            }

            final.ShouldNotBeNull();
            deltas.ShouldNotBeEmpty();
            final.GetOutputText().ShouldBe(deltas);
            var calls = final.OutputItems.OfType<FunctionCallResponseItem>().ToList();
            calls.Count.ShouldBe(2);
            JsonDocument.Parse(calls[0].FunctionArguments.ToString()).RootElement.ValueKind.ShouldBe(JsonValueKind.Object);
            final.Usage.TotalTokenCount.ShouldBe(final.Usage.InputTokenCount + final.Usage.OutputTokenCount);
            final.Usage.OutputTokenCount.ShouldBeGreaterThan(0);
        }
    }

    [Fact]
    public async Task OpenAIResponsesSdk_ParsesResponseTranslatedFromAnthropic()
    {
        var anthropic = Json.Obj("""
            {"id":"msg_02","type":"message","role":"assistant","model":"claude","content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","usage":{"input_tokens":3,"output_tokens":2}}
            """);
        var translated = WireTranslator.TranslateResponse(WireFormat.AnthropicMessages, WireFormat.OpenAIResponses, anthropic, "alias");
        var client = new ResponsesClient(new ApiKeyCredential("k"), new ResponsesClientOptions
        {
            Endpoint = new Uri("http://gateway.test/v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(Serve(translated.ToJsonString(), "application/json"))),
        });

        ResponseResult result = await client.CreateResponseAsync("alias", "Hi", null);

        result.Id.ShouldBe("resp_02");
        result.GetOutputText().ShouldBe("Hello");
        result.Status.ShouldBe(ResponseStatus.Completed);
        result.Usage.InputTokenCount.ShouldBe(3);
    }

    [Fact]
    public async Task AnthropicSdk_ParsesStreamTranslatedFromChatAndResponses()
    {
        foreach (var (from, upstream) in new[] { (WireFormat.OpenAIChat, StreamTranscripts.ChatToolStream), (WireFormat.OpenAIResponses, StreamTranscripts.ResponsesToolStream) })
        {
            var handler = Serve(Translate(from, WireFormat.AnthropicMessages, upstream), "text/event-stream");
            var client = new AnthropicClient { ApiKey = "k", BaseUrl = "http://gateway.test", HttpClient = new HttpClient(handler), MaxRetries = 0 };

            var text = "";
            var json = "";
            var toolNames = new List<string>();
            string? stop = null;
            long outputTokens = 0;
            var types = new List<string>();
            await foreach (var e in client.Messages.CreateStreaming(Params("alias", 100, "Hi")))
            {
                e.Validate();
                types.Add(e.Json.GetProperty("type").GetString()!);
                if (e.TryPickContentBlockStart(out var start) && start.ContentBlock.TryPickToolUse(out var toolUse))
                {
                    toolNames.Add(toolUse.Name);
                }

                if (e.TryPickContentBlockDelta(out var delta))
                {
                    if (delta.Delta.TryPickText(out var textDelta))
                    {
                        text += textDelta.Text;
                    }

                    if (delta.Delta.TryPickInputJson(out var inputJson))
                    {
                        json += inputJson.PartialJson;
                    }
                }

                if (e.TryPickDelta(out var messageDelta))
                {
                    stop = messageDelta.Delta.StopReason?.Raw();
                    outputTokens = messageDelta.Usage.OutputTokens;
                }
            }

            types[0].ShouldBe("message_start");
            types[^1].ShouldBe("message_stop");
            text.ShouldNotBeEmpty();
            toolNames.ShouldNotBeEmpty();
            json.ShouldNotBeEmpty();
            stop.ShouldBe("tool_use");
            outputTokens.ShouldBeGreaterThan(0);
            handler.Requests.Single().Request.RequestUri!.AbsolutePath.ShouldBe("/v1/messages");
        }
    }

    [Fact]
    public async Task AnthropicSdk_ParsesResponseTranslatedFromChat()
    {
        var chat = Json.Obj("""
            {"id":"chatcmpl-77","object":"chat.completion","created":1,"model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Yo","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"x\":2}"}}]},"finish_reason":"tool_calls"}],
             "usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":2}}}
            """);
        var translated = WireTranslator.TranslateResponse(WireFormat.OpenAIChat, WireFormat.AnthropicMessages, chat, "alias");
        var client = new AnthropicClient { ApiKey = "k", BaseUrl = "http://gateway.test", HttpClient = new HttpClient(Serve(translated.ToJsonString(), "application/json")), MaxRetries = 0 };

        var message = await client.Messages.Create(Params("alias", 100, "Hi"));

        message.Validate();
        message.ID.ShouldBe("msg_77");
        message.Content.Count.ShouldBe(2);
        message.Content[1].TryPickToolUse(out var toolUse).ShouldBeTrue();
        toolUse!.ID.ShouldBe("call_1");
        message.StopReason!.Raw().ShouldBe("tool_use");
        message.Usage.InputTokens.ShouldBe(10);
        message.Usage.CacheReadInputTokens.ShouldBe(2);
    }

    [Fact]
    public async Task Sdks_ReadErrorBodies()
    {
        var (_, openAIBody) = ModelErrors.Create(WireFormat.OpenAIChat, ModelErrorKind.InvalidRequest, "Bad things.");
        var chat = new ChatClient("m", new ApiKeyCredential("k"), OpenAIOptions(new ErrorHandler(400, openAIBody)));
        var openAIError = await Should.ThrowAsync<ClientResultException>(async () => await chat.CompleteChatAsync([new UserChatMessage("x")]));
        openAIError.Status.ShouldBe(400);
        openAIError.Message.ShouldContain("Bad things.");

        var (status, anthropicBody) = ModelErrors.Create(WireFormat.AnthropicMessages, ModelErrorKind.PermissionDenied, "Not for you.");
        var anthropic = new AnthropicClient { ApiKey = "k", BaseUrl = "http://gateway.test", HttpClient = new HttpClient(new ErrorHandler(status, anthropicBody)), MaxRetries = 0 };
        var anthropicError = await Should.ThrowAsync<Exception>(async () => await anthropic.Messages.Create(Params("m", 1, "x")));
        anthropicError.Message.ShouldContain("Not for you.");
    }

    private static string Translate(WireFormat from, WireFormat to, IEnumerable<SseEvent> upstream) =>
        Sse.Write(StreamAccumulators.Translate(WireTranslator.CreateStreamTranslator(from, to, "alias"), upstream));

    private static FakeHandler Serve(string body, string contentType) => new(body, contentType);

    private static OpenAIClientOptions OpenAIOptions(HttpMessageHandler handler) => new()
    {
        Endpoint = new Uri("http://gateway.test/v1"),
        Transport = new HttpClientPipelineTransport(new HttpClient(handler)),
        RetryPolicy = new ClientRetryPolicy(0),
    };

    private static MessageCreateParams Params(string model, long maxTokens, string text) => new()
    {
        Model = model,
        MaxTokens = maxTokens,
        Messages = [new UserMessageParam { Content = text }],
    };

    private sealed class ErrorHandler(int status, byte[] body) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var content = new ByteArrayContent(body);
            content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
            return Task.FromResult(new HttpResponseMessage((System.Net.HttpStatusCode)status) { Content = content, RequestMessage = request });
        }
    }
}
