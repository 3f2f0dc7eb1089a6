namespace Warden.Protocol;

/// <summary>Server to worker: the session is over; stop its processes and release its workspace.</summary>
public sealed record SessionEndMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>Why it ended.</summary>
    public string? Reason { get; init; }
}
