using System.Text.Json;

namespace Warden.Protocol;

/// <summary>
/// Operations the worker runs itself, outside the sandbox, though the server requests them as ordinary tool calls
/// (<see cref="ToolCallMessage"/>, so they share the call ledger, the at-most-once guarantee and the resending after a
/// reconnect). Every tool name that starts with <see cref="ReservedPrefix"/> is reserved: the worker never passes one to
/// the session's runtime (the sandbox), and the server never offers one to the model.
/// </summary>
/// <remarks>
/// <para><see cref="Publish"/> stages the whole workspace, commits it with the given author and trailers (the worker's
/// identity as committer, hooks and every program-running setting switched off) and pushes the commit to
/// <c>refs/heads/&lt;branch&gt;</c> of the session's repository with the session's credential. Arguments:
/// <see cref="PublishRequest"/>; result: <see cref="PublishResult"/>.</para>
/// <para><see cref="Diff"/> returns the workspace's whole change against the commit the session started from,
/// untracked files included, as a capped unified diff with a <c>--stat</c> summary. Arguments:
/// <see cref="DiffRequest"/>; result: <see cref="DiffResult"/>.</para>
/// </remarks>
public static class WorkerOperations
{
    /// <summary>The prefix of reserved tool names (compared without regard to case).</summary>
    public const string ReservedPrefix = "warden.";

    /// <summary>Commit the workspace and push it to a <c>warden/...</c> branch of the session's repository.</summary>
    public const string Publish = "warden.publish";

    /// <summary>The workspace's diff against the session's base commit, untracked files included.</summary>
    public const string Diff = "warden.diff";

    /// <summary>True when <paramref name="tool"/> is a reserved name: the worker runs it, never the sandbox, and the model is never offered it.</summary>
    public static bool IsReserved(string? tool) => tool is not null && tool.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>A <see cref="Publish"/> call.</summary>
    public static ToolCall PublishCall(string callId, PublishRequest request, int? timeoutMs = null) =>
        new(callId, Publish, JsonSerializer.SerializeToElement(request, WorkerOperationsJsonContext.Default.PublishRequest), timeoutMs);

    /// <summary>A <see cref="Diff"/> call.</summary>
    public static ToolCall DiffCall(string callId, DiffRequest? request = null, int? timeoutMs = null) =>
        new(callId, Diff, JsonSerializer.SerializeToElement(request ?? new DiffRequest(), WorkerOperationsJsonContext.Default.DiffRequest), timeoutMs);

    /// <summary>The structured result of a <see cref="Publish"/> call, or null when it did not succeed (see <see cref="ToolResult.Error"/>).</summary>
    public static PublishResult? ReadPublishResult(ToolResult result) =>
        result is { Status: ToolStatus.Ok, Result: { } json } ? json.Deserialize(WorkerOperationsJsonContext.Default.PublishResult) : null;

    /// <summary>The structured result of a <see cref="Diff"/> call, or null when it did not succeed (see <see cref="ToolResult.Error"/>).</summary>
    public static DiffResult? ReadDiffResult(ToolResult result) =>
        result is { Status: ToolStatus.Ok, Result: { } json } ? json.Deserialize(WorkerOperationsJsonContext.Default.DiffResult) : null;
}
