using System.Net;
using System.Text.Json;

namespace Warden.ScriptedModel.Tests;

/// <summary>Script files (JSON and YAML) and serving what they hold.</summary>
public sealed class ScriptTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("warden-scripted-model-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private const string Json = """
        {
          // Comments and trailing commas are allowed.
          "defaultTurn": { "text": "That is all I know." },
          "turns": [
            {
              "text": "Let me read it.",
              "toolCalls": [ { "id": "call_1", "name": "read_file", "arguments": { "path": "README.md" } } ],
              "stopReason": "tool_use",
            },
            { "text": "It says hello.", "inputTokens": 120, "outputTokens": 8, "chunkSize": 4 },
            "A bare string is a text reply.",
            { "fault": { "status": 429, "retryAfter": 2, "message": "Slow down." } },
            { "fault": "hang" },
            { "fault": "resetConnection" },
            { "fault": "garbage" },
            { "text": "partial", "fault": { "streamCutAfter": 3 } },
            { "text": "slow", "firstByteLatencyMs": 500, "interChunkLatencyMs": 20, "model": "gpt-4o", "format": "openai_chat_completions" },
          ],
        }
        """;

    private const string Yaml = """
        defaultTurn:
          text: That is all I know.
        turns:
          - text: Let me read it.
            toolCalls:
              - id: call_1
                name: read_file
                arguments: {path: README.md}
            stopReason: toolUse
          - text: It says hello.
            inputTokens: 120
            outputTokens: 8
            chunkSize: 4
          - A bare string is a text reply.
          - fault: {status: 429, retryAfter: 2, message: Slow down.}
          - fault: hang
          - fault: resetConnection
          - fault: garbage
          - text: partial
            fault: {streamCutAfter: 3}
          - text: slow
            firstByteLatencyMs: 500
            interChunkLatencyMs: 20
            model: gpt-4o
            format: OpenAIChatCompletions
        """;

    [Theory]
    [InlineData("script.json", Json)]
    [InlineData("script.yaml", Yaml)]
    public void Load_ReadsEveryTurnProperty(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);

        var script = ScriptedModelScript.Load(path);

        script.DefaultTurn.ShouldNotBeNull().Text.ShouldBe("That is all I know.");
        var turns = script.Turns;
        turns.Count.ShouldBe(9);
        var call = turns[0].ToolCalls.ShouldHaveSingleItem();
        call.Id.ShouldBe("call_1");
        call.Name.ShouldBe("read_file");
        JsonDocument.Parse(call.ArgumentsJson).RootElement.GetProperty("path").GetString().ShouldBe("README.md");
        turns[0].StopReason.ShouldBe(ScriptedStopReason.ToolUse);
        turns[1].InputTokens.ShouldBe(120);
        turns[1].OutputTokens.ShouldBe(8);
        turns[1].ChunkSize.ShouldBe(4);
        turns[2].Text.ShouldBe("A bare string is a text reply.");
        turns[3].Fault.ShouldBe(ScriptedFault.Status(429, "2", "Slow down."));
        turns[4].Fault.ShouldBe(ScriptedFault.Hang);
        turns[5].Fault.ShouldBe(ScriptedFault.ResetConnection);
        turns[6].Fault.ShouldBe(ScriptedFault.Garbage);
        turns[7].Fault.ShouldBe(ScriptedFault.StreamCutAfter(3));
        turns[8].FirstByteLatency.ShouldBe(TimeSpan.FromMilliseconds(500));
        turns[8].InterChunkLatency.ShouldBe(TimeSpan.FromMilliseconds(20));
        turns[8].Model.ShouldBe("gpt-4o");
        turns[8].Format.ShouldBe(WireFormat.OpenAIChatCompletions);
    }

    [Fact]
    public void Parse_ReportsEveryProblemAtOnce()
    {
        var e = Should.Throw<FormatException>(() => ScriptedModelScript.ParseJson("""
            {
              "turns": [
                { "txt": "typo" },
                { "toolCalls": [ { "arguments": "not json" } ] },
                { "fault": "explode" },
                { "stopReason": "bored", "inputTokens": -1 }
              ],
              "extra": 1
            }
            """));

        e.Message.ShouldContain("turns[0].txt: unknown property");
        e.Message.ShouldContain("turns[1].toolCalls[0].arguments: expected a JSON object");
        e.Message.ShouldContain("turns[1].toolCalls[0]: a tool call needs a name");
        e.Message.ShouldContain("turns[2].fault: expected none, hang");
        e.Message.ShouldContain("turns[3].stopReason: expected one of EndTurn, ToolUse, MaxTokens");
        e.Message.ShouldContain("turns[3].inputTokens: expected a whole number of at least 0");
        e.Message.ShouldContain("Unknown property 'extra'");
    }

    [Fact]
    public void Parse_RejectsText_ThatIsNotJsonOrYaml()
    {
        Should.Throw<FormatException>(() => ScriptedModelScript.ParseJson("{ nope")).Message.ShouldStartWith("The script is not valid JSON");
        Should.Throw<FormatException>(() => ScriptedModelScript.ParseYaml("turns: [unclosed")).Message.ShouldStartWith("The script is not valid YAML");
    }

    [Fact]
    public async Task LoadedScript_IsServedInOrderThenTheDefaultTurn()
    {
        var path = Path.Combine(_folder, "demo.yml");
        File.WriteAllText(path, """
            defaultTurn: Nothing more to do.
            turns:
              - text: First I will list the files.
                toolCalls:
                  - {id: call_ls, name: list_files, arguments: '{"dir": "."}'}
              - Done, there are two files.
            """);
        var script = ScriptedModelScript.Load(path);
        await using var server = await ScriptedModelServer.StartAsync(new ScriptedModelOptions { DefaultTurn = script.DefaultTurn });
        server.Enqueue(script.Turns);
        using var http = Http.Client(server);

        var answers = new List<JsonElement>();
        for (var i = 0; i < 3; i++)
        {
            var (response, body) = await Http.SendAsync(http, Http.OpenAI("/v1/chat/completions", """{"model":"gpt-4o","messages":[{"role":"user","content":"go"}]}"""));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            answers.Add(JsonDocument.Parse(body).RootElement.GetProperty("choices")[0]);
        }

        answers[0].GetProperty("finish_reason").GetString().ShouldBe("tool_calls");
        answers[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString().ShouldBe("""{"dir": "."}""");
        answers[1].GetProperty("message").GetProperty("content").GetString().ShouldBe("Done, there are two files.");
        answers[2].GetProperty("message").GetProperty("content").GetString().ShouldBe("Nothing more to do.");
    }
}
