namespace Warden.Protocol;

/// <summary>Worker to server: the session's workspace and runtime are ready for tool calls.</summary>
public sealed record SessionReadyMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The commit checked out, when a repository was cloned.</summary>
    public string? Commit { get; init; }

    /// <summary>How long preparation took, in milliseconds.</summary>
    public long PrepareMs { get; init; }

    /// <summary>True when the clone came from the worker's mirror cache that already held the repository.</summary>
    public bool FromMirror { get; init; }
}
