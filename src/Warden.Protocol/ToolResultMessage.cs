namespace Warden.Protocol;

/// <summary>Worker to server: a call's result.</summary>
public sealed record ToolResultMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The call.</summary>
    public required string CallId { get; init; }

    /// <summary>The result.</summary>
    public required ToolResult Result { get; init; }

    /// <summary>True when this is the stored result of an earlier run of the same call id, not a new run.</summary>
    public bool Replayed { get; init; }
}
