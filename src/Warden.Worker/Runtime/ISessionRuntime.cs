using Warden.Protocol;

namespace Warden.Worker.Runtime;

/// <summary>
/// The place one session's tool calls run: the seam between the worker (connection, ledger, workspace) and the
/// execution environment. <c>Warden.Sandbox</c> implements it with bubblewrap; <see cref="ProcessSessionRuntime"/> is
/// the non-sandboxed development runtime. The worker guarantees at-most-once per call id before a call reaches here,
/// so an implementation runs every call it is given.
/// </summary>
public interface ISessionRuntime : IAsyncDisposable
{
    /// <summary>
    /// Runs <paramref name="call"/> and returns its result. Expected failures (unknown tool, bad arguments, non-zero
    /// exit, timeout) are results, not exceptions. <paramref name="onOutput"/> receives output as it is produced;
    /// <paramref name="cancellationToken"/> is cancelled when the session ends.
    /// </summary>
    Task<ToolResult> ExecuteAsync(ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken);
}
