namespace Warden.Server.Workers;

/// <summary>A session failed without being asked to end.</summary>
/// <param name="sessionId">The session.</param>
/// <param name="workerId">Its worker.</param>
/// <param name="reason">Why, for the session's owner.</param>
public sealed class WorkerSessionFailedEventArgs(string sessionId, string workerId, string reason) : EventArgs
{
    /// <summary>The session.</summary>
    public string SessionId { get; } = sessionId;

    /// <summary>Its worker.</summary>
    public string WorkerId { get; } = workerId;

    /// <summary>Why.</summary>
    public string Reason { get; } = reason;
}
