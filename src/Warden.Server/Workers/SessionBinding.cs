using System.Collections.Concurrent;
using Warden.Data.Workers;
using Warden.Protocol;

namespace Warden.Server.Workers;

/// <summary>A session bound to a worker, with its calls in flight.</summary>
internal sealed class SessionBinding
{
    public required string SessionId { get; init; }

    public required string OrgId { get; init; }

    public required string WorkerId { get; init; }

    /// <summary>The assignment as sent; null for a binding reloaded after a server restart (the credential is gone).</summary>
    public SessionAssignMessage? Assign { get; init; }

    /// <summary>hub gate</summary>
    public WorkerSessionState State { get; set; }

    /// <summary>
    /// hub gate. True once the binding's row is in the store. Until then only the assigning call sends the
    /// assignment: were a reconnecting worker's resume to send it first, the worker's "ready" could be stored before
    /// the row exists and be lost, and a server restart would then fail a session that was in fact ready.
    /// </summary>
    public bool Persisted { get; set; }

    public TaskCompletionSource<SessionReadyMessage> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<string, PendingCall> Calls { get; } = new(StringComparer.Ordinal);
}
