namespace Warden.Data.Workers;

/// <summary>The stored (lower-case) names of <see cref="WorkerState"/> and <see cref="WorkerSessionState"/>.</summary>
public static class WorkerStates
{
    /// <summary>The stored name of a worker state.</summary>
    public static string ToName(this WorkerState state) => state switch
    {
        WorkerState.Online => "online",
        WorkerState.Draining => "draining",
        WorkerState.Lost => "lost",
        _ => "offline",
    };

    /// <summary>Parses a stored worker state.</summary>
    public static WorkerState ParseWorker(string name) => name switch
    {
        "online" => WorkerState.Online,
        "draining" => WorkerState.Draining,
        "lost" => WorkerState.Lost,
        _ => WorkerState.Offline,
    };

    /// <summary>The stored name of a session state.</summary>
    public static string ToName(this WorkerSessionState state) => state switch
    {
        WorkerSessionState.Assigned => "assigned",
        WorkerSessionState.Ready => "ready",
        WorkerSessionState.Failed => "failed",
        _ => "ended",
    };

    /// <summary>Parses a stored session state.</summary>
    public static WorkerSessionState ParseSession(string name) => name switch
    {
        "assigned" => WorkerSessionState.Assigned,
        "ready" => WorkerSessionState.Ready,
        "failed" => WorkerSessionState.Failed,
        _ => WorkerSessionState.Ended,
    };
}
