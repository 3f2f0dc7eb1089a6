using System.Text.Json;
using System.Text.Json.Nodes;
using Warden.Policy.Entities;
using Warden.Policy.Values;

namespace Warden.Server.Sessions;

/// <summary>
/// The tools the agent is offered (OpenAI function schemas), and for each call the policy question it raises: which
/// action, on which resource, with which context. Workspace tools run on the worker inside the sandbox; <c>finish</c>
/// and <c>spawn_subagent</c> are handled by the agent loop itself. Names beginning with <c>warden.</c> are the
/// worker's own operations (commit, push, diff) and are never offered to the model.
/// </summary>
public static class AgentTools
{
    /// <summary>The agent says the task is done.</summary>
    public const string Finish = "finish";

    /// <summary>The agent hands a sub-task to a child session.</summary>
    public const string SpawnSubagent = "spawn_subagent";

    /// <summary>Tools that run on the worker.</summary>
    public static readonly IReadOnlySet<string> WorkerTools = new HashSet<string>(StringComparer.Ordinal)
    {
        "shell", "read_file", "write_file", "edit_file", "apply_patch", "list", "glob", "search", "git_status", "git_diff",
    };

    /// <summary>The policy question of one call.</summary>
    /// <param name="Action">The action (<c>shell.exec</c>, <c>file.read</c>, <c>file.write</c>, <c>tool.call</c>).</param>
    /// <param name="Resource">The resource.</param>
    /// <param name="Entities">Entities the resource needs (none so far: paths and tools have no attributes).</param>
    /// <param name="Context">The action's context.</param>
    /// <param name="Summary">What the call would do, in one line, for people (approvals, the transcript).</param>
    public sealed record PolicyQuestion(string Action, EntityUid Resource, IReadOnlyList<Entity> Entities, IReadOnlyDictionary<string, Value> Context, string Summary);

    private static readonly byte[] WithSubagents = JsonSerializer.SerializeToUtf8Bytes(Definitions(allowSubagents: true));
    private static readonly byte[] WithoutSubagents = JsonSerializer.SerializeToUtf8Bytes(Definitions(allowSubagents: false));

    /// <summary><see cref="Definitions"/> serialized once, as sent with every model call.</summary>
    public static ReadOnlyMemory<byte> DefinitionsJson(bool allowSubagents) => allowSubagents ? WithSubagents : WithoutSubagents;

    /// <summary>The tool definitions sent with every model call (sub-agents get no <c>spawn_subagent</c>).</summary>
    public static JsonArray Definitions(bool allowSubagents)
    {
        var tools = new JsonArray
        {
            Tool("shell", "Run a shell command (bash) in the repository's workspace. Output is streamed; very long output keeps its head and tail. No network except allowed package mirrors.",
                """{"type":"object","properties":{"command":{"type":"string","description":"The command line."},"workdir":{"type":"string","description":"Folder relative to the workspace root."},"timeout_ms":{"type":"integer"}},"required":["command"]}"""),
            Tool("read_file", "Read a text file of the workspace, optionally a range of lines.",
                """{"type":"object","properties":{"path":{"type":"string"},"start_line":{"type":"integer","minimum":1},"line_count":{"type":"integer","minimum":1}},"required":["path"]}"""),
            Tool("write_file", "Create or overwrite a file with the given content.",
                """{"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}"""),
            Tool("edit_file", "Replace exact text in a file; several edits at once, applied in order. old_text must match exactly once unless replace_all.",
                """{"type":"object","properties":{"path":{"type":"string"},"edits":{"type":"array","items":{"type":"object","properties":{"old_text":{"type":"string"},"new_text":{"type":"string"},"replace_all":{"type":"boolean"}},"required":["old_text","new_text"]}}},"required":["path","edits"]}"""),
            Tool("apply_patch", "Apply a unified diff to the workspace.",
                """{"type":"object","properties":{"patch":{"type":"string"}},"required":["patch"]}"""),
            Tool("list", "List files and folders.",
                """{"type":"object","properties":{"path":{"type":"string"},"depth":{"type":"integer","minimum":1,"maximum":6}}}"""),
            Tool("glob", "Find files by glob pattern, e.g. src/**/*.cs.",
                """{"type":"object","properties":{"pattern":{"type":"string"}},"required":["pattern"]}"""),
            Tool("search", "Search file contents with a regular expression.",
                """{"type":"object","properties":{"pattern":{"type":"string"},"glob":{"type":"string"},"path":{"type":"string"},"ignore_case":{"type":"boolean"},"max_results":{"type":"integer"}},"required":["pattern"]}"""),
            Tool("git_status", "Show git status of the workspace.", """{"type":"object","properties":{}}"""),
            Tool("git_diff", "Show the diff of the workspace against the last commit.",
                """{"type":"object","properties":{"staged":{"type":"boolean"},"path":{"type":"string"}}}"""),
            Tool(Finish, "Call when the task is done (or cannot be done). Your changes are then committed, pushed and proposed as a pull request by Warden; do not commit or push yourself.",
                """{"type":"object","properties":{"summary":{"type":"string","description":"What you changed and why, for the pull request."},"title":{"type":"string","description":"A short pull request title."}},"required":["summary"]}"""),
        };
        if (allowSubagents)
        {
            tools.Add(Tool(SpawnSubagent, "Hand a self-contained sub-task to a helper agent working in its own copy of the repository. Returns its summary and its diff, which you can apply with apply_patch.",
                """{"type":"object","properties":{"instruction":{"type":"string"}},"required":["instruction"]}"""));
        }

        return tools;
    }

    /// <summary>
    /// The policy questions of a tool call (one, or one per file a patch touches, so a path policy sees every path);
    /// null for a tool that does not exist.
    /// </summary>
    public static IReadOnlyList<PolicyQuestion>? Questions(string tool, JsonElement args)
    {
        if (tool == "apply_patch")
        {
            var patch = args.ValueKind == JsonValueKind.Object && args.TryGetProperty("patch", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() ?? string.Empty : string.Empty;
            var paths = PatchPaths(patch);
            return paths.Count == 0
                ? [new PolicyQuestion("file.write", PathUid("(patch)"), [], new Dictionary<string, Value>(StringComparer.Ordinal), "patch (no files)")]
                : paths.Select(path => new PolicyQuestion("file.write", PathUid(path), [], new Dictionary<string, Value>(StringComparer.Ordinal), "patch " + path)).ToList();
        }

        return Question(tool, args) is { } q ? [q] : null;
    }

    private static PolicyQuestion? Question(string tool, JsonElement args)
    {
        string Arg(string name) => args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? string.Empty : string.Empty;
        static Dictionary<string, Value> Empty() => new(StringComparer.Ordinal);
        return tool switch
        {
            "shell" => new PolicyQuestion("shell.exec", new EntityUid("Warden::Tool", "shell"), [],
                new Dictionary<string, Value>(StringComparer.Ordinal) { ["command"] = new StringValue(Arg("command")) }, "$ " + OneLine(Arg("command"))),
            "read_file" => new PolicyQuestion("file.read", PathUid(Arg("path")), [], Empty(), "read " + Arg("path")),
            "write_file" => new PolicyQuestion("file.write", PathUid(Arg("path")), [], Empty(), "write " + Arg("path")),
            "edit_file" => new PolicyQuestion("file.write", PathUid(Arg("path")), [], Empty(), "edit " + Arg("path")),
            "list" or "glob" or "search" or "git_status" or "git_diff" => new PolicyQuestion("tool.call", new EntityUid("Warden::Tool", tool), [], Empty(),
                tool + (args.ValueKind == JsonValueKind.Object && args.EnumerateObject().Any() ? " " + OneLine(args.GetRawText()) : string.Empty)),
            SpawnSubagent => new PolicyQuestion("tool.call", new EntityUid("Warden::Tool", SpawnSubagent), [], Empty(), "sub-agent: " + OneLine(Arg("instruction"))),
            _ => null,
        };
    }

    /// <summary>True for files whose change can run code with the repository's secrets (CI and workflow definitions).</summary>
    public static bool IsWorkflowFile(string path)
    {
        var p = path.Replace('\\', '/').TrimStart('/');
        return p.StartsWith(".github/workflows/", StringComparison.OrdinalIgnoreCase) || p.StartsWith(".github/actions/", StringComparison.OrdinalIgnoreCase) ||
               p.Equals(".gitlab-ci.yml", StringComparison.OrdinalIgnoreCase) || p.StartsWith(".gitlab/ci/", StringComparison.OrdinalIgnoreCase) ||
               p.Equals("Jenkinsfile", StringComparison.OrdinalIgnoreCase) || p.StartsWith(".circleci/", StringComparison.OrdinalIgnoreCase) ||
               p.StartsWith(".gitea/workflows/", StringComparison.OrdinalIgnoreCase) || p.StartsWith(".forgejo/workflows/", StringComparison.OrdinalIgnoreCase) ||
               p.Equals("azure-pipelines.yml", StringComparison.OrdinalIgnoreCase) || p.StartsWith(".buildkite/", StringComparison.OrdinalIgnoreCase);
    }

    private static EntityUid PathUid(string path) => new("Warden::Path", path.Replace('\\', '/'));

    private static List<string> PatchPaths(string patch) =>
        patch.Split('\n')
            .Where(l => l.StartsWith("+++ ", StringComparison.Ordinal))
            .Select(l => l[4..].Trim())
            .Select(p => p.StartsWith("b/", StringComparison.Ordinal) ? p[2..] : p)
            .Where(p => p != "/dev/null")
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ⏎ ");
        return line.Length <= 300 ? line : line[..300] + "…";
    }

    private static JsonObject Tool(string name, string description, string parameters) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject
        {
            ["name"] = name,
            ["description"] = description,
            ["parameters"] = JsonNode.Parse(parameters),
        },
    };
}
