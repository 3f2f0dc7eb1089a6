using Warden.ScriptedModel;

namespace Warden.Cli.Commands;

/// <summary>
/// What <c>warden demo</c> works on: a tiny shell "calculator" whose add subtracts, so its test fails, and the
/// scripted model's turns that fix it the way an agent would: read the code, run the test (it fails), edit the
/// fix, run the test again (it passes), finish. Every answer is labelled as scripted.
/// </summary>
public static class DemoSample
{
    /// <summary>The repository's name in Warden.</summary>
    public const string RepositoryName = "calc";

    /// <summary>The file the fix changes.</summary>
    public const string FixedFile = "calc.sh";

    /// <summary>The task given to the agent.</summary>
    public const string Instruction = "Make `sh test.sh` pass: add in calc.sh gives the wrong answer.";

    /// <summary>The provider the scripted model is registered as; the name says what it is.</summary>
    public const string Provider = "scripted-demo";

    /// <summary>The model name behind the route; the name says what it is.</summary>
    public const string Model = "scripted-not-an-llm";

    /// <summary>The repository's first commit: relative path to content.</summary>
    public static IReadOnlyDictionary<string, string> Files { get; } = new Dictionary<string, string>
    {
        ["README.md"] = "# calc\n\nA tiny calculator for the Warden demo: `sh calc.sh 2 3` prints the sum of 2 and 3.\n",
        ["AGENTS.md"] = "# Notes for agents\n\nRun the tests with `sh test.sh` before you finish.\n",
        ["calc.sh"] = "#!/bin/sh\n# add A B: prints A + B\necho $(($1 - $2))\n",
        ["test.sh"] = "#!/bin/sh\ngot=$(sh calc.sh 2 3)\n[ \"$got\" = 5 ] || { echo \"FAIL: add 2 3 gave $got\"; exit 1; }\necho PASS\n",
    };

    /// <summary>The scripted model's answers, in order: one model call each.</summary>
    public static IReadOnlyList<ScriptedTurn> Turns { get; } =
    [
        Turn("I will read calc.sh first.", "read_file", """{"path":"calc.sh"}"""),
        Turn("add uses '-' where it should add. Running the test to see it fail.", "shell", """{"command":"sh test.sh"}"""),
        Turn("The test fails as expected. Fixing the operator.", "edit_file", """{"path":"calc.sh","edits":[{"old_text":"$1 - $2","new_text":"$1 + $2"}]}"""),
        Turn("Running the test again.", "shell", """{"command":"sh test.sh"}"""),
        Turn("The test passes; finishing.", "finish", """{"title":"Fix add in calc.sh","summary":"add subtracted its arguments; it adds them now.\n\n`sh test.sh` passes."}"""),
    ];

    /// <summary>The answer once the script is used up (only if the session asks for more than it planned).</summary>
    public static ScriptedTurn Exhausted { get; } = ScriptedTurn.Reply("(scripted) The demo script has no more answers.");

    private static ScriptedTurn Turn(string text, string tool, string arguments) =>
        new() { Text = "(scripted) " + text, ToolCalls = [new ScriptedToolCall(string.Empty, tool, arguments)] };
}
