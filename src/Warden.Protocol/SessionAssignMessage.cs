namespace Warden.Protocol;

/// <summary>Server to worker: prepare a workspace (clone <see cref="Repository"/> at <see cref="BaseRef"/>) and a runtime for a session.</summary>
public sealed record SessionAssignMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The repository's clone URL (no credentials in it), or null for an empty workspace.</summary>
    public string? Repository { get; init; }

    /// <summary>Branch, tag or commit to start from; the remote's default branch when null.</summary>
    public string? BaseRef { get; init; }

    /// <summary>The session's Git credential, when the repository needs one.</summary>
    public SessionCredential? Credential { get; init; }

    /// <summary>Resource limits.</summary>
    public SessionLimits Limits { get; init; } = new();
}
