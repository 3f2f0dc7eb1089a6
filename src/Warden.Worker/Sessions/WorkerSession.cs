using Warden.Protocol;
using Warden.Worker.Runtime;

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

    public Task<ISessionRuntime> Runtime => _runtime.Task;

    public void SetRuntime(ISessionRuntime runtime) => _runtime.TrySetResult(runtime);

    public void Fail(Exception e) => _runtime.TrySetException(e);
}
