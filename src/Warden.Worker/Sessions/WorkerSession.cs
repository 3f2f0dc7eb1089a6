using Warden.Protocol;
using Warden.Worker.Runtime;
using Warden.Worker.Workspaces;

namespace Warden.Worker.Sessions;

/// <summary>One session on this worker: its runtime (once ready), its call ledger and its lifetime.</summary>
internal sealed class WorkerSession(string id)
{
    private readonly TaskCompletionSource<ISessionRuntime> _runtime = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Id { get; } = id;

    public CallLedger Ledger { get; } = new();

    public CancellationTokenSource Ended { get; } = new();

    /// <summary>The ready message, kept so a repeated assignment (after a reconnect) can be answered again.</summary>
    public SessionReadyMessage? Ready { get; set; }

    /// <summary>The repository, base commit and credential the worker's own operations (publish, diff) use; set once prepared.</summary>
    public PublishTarget? Target { get; set; }

    /// <summary>Serialises the worker's operations on this workspace (two publishes must not share one index).</summary>
    public SemaphoreSlim Operations { get; } = new(1, 1);

    public Task<ISessionRuntime> Runtime => _runtime.Task;

    public void SetRuntime(ISessionRuntime runtime) => _runtime.TrySetResult(runtime);

    public void Fail(Exception e) => _runtime.TrySetException(e);
}
