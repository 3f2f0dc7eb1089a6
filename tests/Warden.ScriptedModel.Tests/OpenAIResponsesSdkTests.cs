using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The Responses client is marked experimental in this SDK version.

namespace Warden.ScriptedModel.Tests;

/// <summary>The official OpenAI SDK's Responses client against the server.</summary>
public sealed class OpenAIResponsesSdkTests
{
    private static ResponsesClient Client(ScriptedModelServer server) => new(new ApiKeyCredential("test-key"),
        new ResponsesClientOptions { Endpoint = server.OpenAIEndpoint, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });

    [Fact]
    public async Task Response_CarriesTextAndUsage()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn { Text = "Responses say hi.", InputTokens = 9, OutputTokens = 4 });

        ResponseResult response = await Client(server).CreateResponseAsync("gpt-4o", "Say hi", null);

        response.GetOutputText().ShouldBe("Responses say hi.");
        response.Status.ShouldBe(ResponseStatus.Completed);
        response.Model.ShouldBe("gpt-4o");
        response.Usage.InputTokenCount.ShouldBe(9);
        response.Usage.OutputTokenCount.ShouldBe(4);
        response.Usage.TotalTokenCount.ShouldBe(13);
        server.Requests.ShouldHaveSingleItem().Format.ShouldBe(WireFormat.OpenAIResponses);
    }

    [Fact]
    public async Task Response_FunctionCall_IsParsed()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(ScriptedTurn.Calling(new ScriptedToolCall("call_42", "get_weather", """{"city":"Paris"}""")));

        ResponseResult response = await Client(server).CreateResponseAsync("gpt-4o", "Weather?", null);

        var call = response.OutputItems.OfType<FunctionCallResponseItem>().ShouldHaveSingleItem();
        call.CallId.ShouldBe("call_42");
        call.FunctionName.ShouldBe("get_weather");
        using var arguments = JsonDocument.Parse(call.FunctionArguments);
        arguments.RootElement.GetProperty("city").GetString().ShouldBe("Paris");
    }

    [Fact]
    public async Task ResponseStreaming_DeliversDeltasAndTheCompletedResponse()
    {
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions());
        server.Enqueue(new ScriptedTurn
        {
            Text = "Streaming via responses.",
            ToolCalls = [new ScriptedToolCall("call_7", "lookup", """{"q":"warden"}""")],
            OutputTokens = 11,
        });

        var text = new StringBuilder();
        var arguments = new StringBuilder();
        var sequence = new List<int>();
        ResponseResult? completed = null;
        await foreach (var update in await Client(server).CreateResponseStreamingAsync("gpt-4o", "Stream please", null))
        {
            sequence.Add(update.SequenceNumber);
            switch (update)
            {
                case StreamingResponseOutputTextDeltaUpdate delta:
                    text.Append(delta.Delta);
                    break;
                case StreamingResponseFunctionCallArgumentsDeltaUpdate args:
                    arguments.Append(args.Delta);
                    break;
                case StreamingResponseCompletedUpdate done:
                    completed = done.Response;
                    break;
            }
        }

        text.ToString().ShouldBe("Streaming via responses.");
        arguments.ToString().ShouldBe("""{"q":"warden"}""");
        sequence.ShouldBe(Enumerable.Range(0, sequence.Count));
        completed.ShouldNotBeNull();
        completed.Usage.OutputTokenCount.ShouldBe(11);
        completed.OutputItems.OfType<FunctionCallResponseItem>().ShouldHaveSingleItem().CallId.ShouldBe("call_7");
    }
}
