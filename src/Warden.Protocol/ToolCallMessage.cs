namespace Warden.Protocol;

/// <summary>Server to worker: run <see cref="Call"/> in the session's runtime. Re-sent with the same call id after a reconnect.</summary>
public sealed record ToolCallMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The call.</summary>
    public required ToolCall Call { get; init; }
}
