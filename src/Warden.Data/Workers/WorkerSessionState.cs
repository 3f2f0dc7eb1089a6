namespace Warden.Data.Workers;

/// <summary>A session's binding to a worker.</summary>
public enum WorkerSessionState
{
    /// <summary>Sent to the worker; its workspace is being prepared.</summary>
    Assigned,

    /// <summary>Ready for tool calls.</summary>
    Ready,

    /// <summary>Failed (preparation failed, or its worker was lost for longer than the grace period).</summary>
    Failed,

    /// <summary>Ended normally.</summary>
    Ended,
}
