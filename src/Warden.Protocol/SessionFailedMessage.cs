namespace Warden.Protocol;

/// <summary>Worker to server: the session could not be prepared or its runtime broke. The reason holds no secret.</summary>
public sealed record SessionFailedMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>What went wrong, for the person who started the session.</summary>
    public required string Reason { get; init; }
}
