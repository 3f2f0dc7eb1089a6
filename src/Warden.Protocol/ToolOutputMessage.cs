namespace Warden.Protocol;

/// <summary>Worker to server: output of a running call. Best effort: chunks sent while disconnected are lost, the result still carries the output.</summary>
public sealed record ToolOutputMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The call.</summary>
    public required string CallId { get; init; }

    /// <summary>The chunk.</summary>
    public required ToolOutputChunk Chunk { get; init; }
}
