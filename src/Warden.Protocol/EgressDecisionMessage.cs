namespace Warden.Protocol;

/// <summary>Server to worker: the answer to an <see cref="EgressCheckMessage"/>.</summary>
public sealed record EgressDecisionMessage : ProtocolMessage
{
    /// <summary>The id of the check this answers.</summary>
    public required string InReplyTo { get; init; }

    /// <summary>True when policy permits the connection.</summary>
    public required bool Allowed { get; init; }

    /// <summary>The determining policies or why it was refused, for the worker's log and the audit event.</summary>
    public string? Reason { get; init; }
}
