namespace Warden.Protocol;

/// <summary>Either way: a message could not be handled. Codes are in <see cref="ErrorCodes"/>; the text holds no secret.</summary>
public sealed record ErrorMessage : ProtocolMessage
{
    /// <summary>A stable code.</summary>
    public required string Code { get; init; }

    /// <summary>What went wrong, for a person.</summary>
    public required string Message { get; init; }

    /// <summary>The id of the message this answers, if any.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>The session concerned, if any.</summary>
    public string? SessionId { get; init; }

    /// <summary>The call concerned, if any.</summary>
    public string? CallId { get; init; }
}
