using Warden.Protocol;

namespace Warden.Server.Workers;

/// <summary>
/// How the control plane (the agent loop) uses workers: assign a session to a worker of a pool, run its tool calls
/// there, end it. Tool calls carry ids and run at most once: after a reconnect the same call id is sent again and the
/// worker answers from its ledger. One server process holds the connections; several replicas are not supported yet.
/// </summary>
public interface IWorkerDispatcher
{
    /// <summary>
    /// Picks an online, non-draining worker of <paramref name="pool"/> in <paramref name="orgId"/> whose labels (its own
    /// over its pool's) include <paramref name="requiredLabels"/> and that has free capacity, least loaded first; has it
    /// prepare the workspace and returns once the session is ready. Throws <see cref="WorkerDispatchException"/> when no
    /// worker fits or preparation fails.
    /// </summary>
    Task<WorkerLease> AssignAsync(string orgId, string pool, IReadOnlyDictionary<string, string> requiredLabels, string sessionId,
        WorkspaceRequest workspace, CancellationToken cancellationToken);

    /// <summary>
    /// Runs <paramref name="call"/> on the session's worker, streaming its output to <paramref name="onOutput"/>. If the
    /// connection drops, the call is sent again with the same id once the worker is back; it fails with
    /// <see cref="WorkerDispatchException"/> when the worker does not return within the grace period.
    /// <paramref name="onOutput"/> runs on the worker connection's reader: it should hand the chunk on and return, never
    /// wait for another call to the same worker.
    /// </summary>
    Task<ToolResult> ExecuteToolAsync(string sessionId, ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken);

    /// <summary>Ends a session: the worker stops its processes and releases its workspace. Ending twice is not an error.</summary>
    Task EndSessionAsync(string sessionId, string? reason, CancellationToken cancellationToken);

    /// <summary>Raised when a session fails on its own (its worker was lost beyond the grace period, or broke it).</summary>
    event EventHandler<WorkerSessionFailedEventArgs>? SessionFailed;
}
