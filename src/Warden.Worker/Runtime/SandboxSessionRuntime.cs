using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Warden.Protocol;
using Warden.Sandbox;
using Warden.Sandbox.Tools;

namespace Warden.Worker.Runtime;

/// <summary>
/// One session's tools over its sandbox: <c>shell</c> runs in bubblewrap with streamed output; the file tools work on
/// the workspace with every path confined to it; <c>git_status</c> and <c>git_diff</c> run inside the sandbox, because
/// the workspace's git configuration is the agent's to write.
/// </summary>
/// <remarks>
/// Tools and their arguments (JSON objects): <c>shell {command, workdir?}</c>, <c>read_file {path, start_line?,
/// line_count?}</c>, <c>write_file {path, content}</c>, <c>edit_file {path, edits: [{old_text, new_text,
/// replace_all?}]}</c>, <c>apply_patch {patch}</c>, <c>list {path?, depth?}</c>, <c>glob {pattern}</c>,
/// <c>search {pattern, glob?, path?, ignore_case?, max_results?}</c>, <c>git_status {}</c>, <c>git_diff {staged?, path?}</c>.
/// </remarks>
public sealed class SandboxSessionRuntime : ISessionRuntime
{
    /// <summary>The tools this runtime executes.</summary>
    public static readonly IReadOnlyList<string> Tools = ["shell", "read_file", "write_file", "edit_file", "apply_patch", "list", "glob", "search", "git_status", "git_diff"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SandboxSession _session;
    private readonly WorkspaceTools _tools;
    private readonly SessionRuntimeContext _context;

    /// <summary>Wraps a created sandbox session.</summary>
    public SandboxSessionRuntime(SandboxSession session, SessionRuntimeContext context, ILogger? logger = null)
    {
        _session = session;
        _context = context;
        _tools = WorkspaceTools.ForSession(session);
        _ = logger;
    }

    /// <summary>The sandbox session.</summary>
    public SandboxSession Session => _session;

    /// <inheritdoc />
    public async Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            if (call.Arguments.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined))
            {
                return ToolResult.Failure($"The arguments of '{call.Tool}' must be a JSON object.");
            }

            var args = call.Arguments;
            var result = call.Tool switch
            {
                "shell" => await ShellAsync(call, args, onOutput, cancellationToken).ConfigureAwait(false),
                "read_file" => Ok(await _tools.ReadFileAsync(Required(args, "path"), Int(args, "start_line") ?? 1, Int(args, "line_count"), cancellationToken).ConfigureAwait(false)),
                "write_file" => Ok(await _tools.WriteFileAsync(Required(args, "path"), Required(args, "content"), cancellationToken).ConfigureAwait(false)),
                "edit_file" => Ok(await _tools.EditFileAsync(Required(args, "path"), Edits(args), cancellationToken).ConfigureAwait(false)),
                "apply_patch" => Ok(await _tools.ApplyPatchAsync(Required(args, "patch"), cancellationToken).ConfigureAwait(false)),
                "list" => Ok(_tools.List(Text(args, "path"), Int(args, "depth") ?? 2)),
                "glob" => Ok(_tools.Glob(Required(args, "pattern"))),
                "search" => Ok(await _tools.SearchAsync(Required(args, "pattern"), Text(args, "glob"), Text(args, "path"), Bool(args, "ignore_case"), Int(args, "max_results") ?? 200, cancellationToken).ConfigureAwait(false)),
                "git_status" => Git(await _tools.GitStatusAsync(cancellationToken).ConfigureAwait(false)),
                "git_diff" => Git(await _tools.GitDiffAsync(Bool(args, "staged"), Text(args, "path"), cancellationToken).ConfigureAwait(false)),
                _ => ToolResult.Failure($"Unknown tool '{call.Tool}'. Tools: {string.Join(", ", Tools)}."),
            };
            return result with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (WorkspaceToolException e)
        {
            return ToolResult.Failure(e.Message) with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (ArgumentException e)
        {
            return ToolResult.Failure(e.Message) with { DurationMs = watch.ElapsedMilliseconds };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ToolResult.Failure("The session ended while the call ran.", ToolStatus.Cancelled) with { DurationMs = watch.ElapsedMilliseconds };
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _session.DisposeAsync();

    private async Task<ToolResult> ShellAsync(ToolCall call, JsonElement args, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        var timeout = call.TimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : _context.Limits.ToolTimeoutMs is { } t ? TimeSpan.FromMilliseconds(t) : (TimeSpan?)null;
        var spec = CommandSpec.Shell(Required(args, "command")) with { WorkingDirectory = Text(args, "workdir"), Timeout = timeout };
        var result = await _session.RunAsync(spec, chunk => onOutput(new ToolOutputChunk(chunk.Stream == OutputStreamKind.Stderr ? "stderr" : "stdout", chunk.Text)), cancellationToken).ConfigureAwait(false);
        var output = result.Stderr.Length == 0 ? result.Stdout : result.Stdout.Length == 0 ? result.Stderr : result.Stdout + "\n[stderr]\n" + result.Stderr;
        var limit = result.LimitHit == SandboxLimit.None ? null : $"Stopped by the sandbox's {result.LimitHit} limit.";
        return new ToolResult
        {
            Status = result.TimedOut ? ToolStatus.TimedOut : result.ExitCode == 0 ? ToolStatus.Ok : ToolStatus.Failed,
            ExitCode = result.ExitCode,
            Output = output,
            Truncated = result.StdoutOmittedBytes > 0 || result.StderrOmittedBytes > 0,
            Error = result.TimedOut ? "The command timed out and was stopped." : limit,
        };
    }

    private static ToolResult Ok<T>(T value) => new() { Status = ToolStatus.Ok, Result = JsonSerializer.SerializeToElement(value, Json) };

    private static ToolResult Git(GitResult git) => new()
    {
        Status = git.ExitCode == 0 ? ToolStatus.Ok : ToolStatus.Failed,
        ExitCode = git.ExitCode,
        Output = git.Error.Length == 0 ? git.Output : git.Output + "\n[stderr]\n" + git.Error,
    };

    private static List<FileEdit> Edits(JsonElement args)
    {
        if (!args.TryGetProperty("edits", out var edits) || edits.ValueKind != JsonValueKind.Array || edits.GetArrayLength() == 0)
        {
            throw new ArgumentException("edit_file needs 'edits': a non-empty array of {old_text, new_text, replace_all?}.");
        }

        return edits.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Object
            ? new FileEdit(Required(e, "old_text"), Required(e, "new_text"), Bool(e, "replace_all"))
            : throw new ArgumentException("Each edit is an object {old_text, new_text, replace_all?}.")).ToList();
    }

    private static string Required(JsonElement args, string name) =>
        Text(args, name) ?? throw new ArgumentException($"Missing string argument '{name}'.");

    private static string? Text(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    private static bool Bool(JsonElement args, string name) =>
        args.ValueKind == JsonValueKind.Object && args.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
