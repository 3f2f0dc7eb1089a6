namespace Warden.Server.Workers;

/// <summary>Why a dispatch failed.</summary>
public enum WorkerDispatchError
{
    /// <summary>No online worker of the pool has the labels and free capacity.</summary>
    NoWorkerAvailable,

    /// <summary>The worker could not prepare the workspace.</summary>
    PreparationFailed,

    /// <summary>The worker was lost and did not return within the grace period (or the session failed otherwise).</summary>
    SessionFailed,

    /// <summary>The session is not bound to any worker (never assigned, or ended).</summary>
    UnknownSession,

    /// <summary>The worker did not answer in time.</summary>
    TimedOut,
}
