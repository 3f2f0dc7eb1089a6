namespace Warden.Protocol;

/// <summary>
/// Worker to server: a sandboxed session asks its egress proxy to reach <see cref="Host"/>:<see cref="Port"/>; may it?
/// The server answers with an <see cref="EgressDecisionMessage"/> whose <c>InReplyTo</c> is this message's id.
/// </summary>
public sealed record EgressCheckMessage : ProtocolMessage
{
    /// <summary>The session whose sandbox wants to connect.</summary>
    public required string SessionId { get; init; }

    /// <summary>The host name or address asked for.</summary>
    public required string Host { get; init; }

    /// <summary>The port asked for.</summary>
    public required int Port { get; init; }

    /// <summary><c>tunnel</c> (HTTPS CONNECT) or <c>http</c> (a plain-HTTP request).</summary>
    public string Scheme { get; init; } = "tunnel";
}
