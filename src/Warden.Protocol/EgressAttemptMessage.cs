namespace Warden.Protocol;

/// <summary>
/// Worker to server: one connection attempt through a session's egress proxy is over (allowed or denied), for the
/// audit ledger.
/// </summary>
public sealed record EgressAttemptMessage : ProtocolMessage
{
    /// <summary>The session.</summary>
    public required string SessionId { get; init; }

    /// <summary>The host asked for.</summary>
    public required string Host { get; init; }

    /// <summary>The port asked for.</summary>
    public required int Port { get; init; }

    /// <summary><c>tunnel</c> or <c>http</c>.</summary>
    public string? Scheme { get; init; }

    /// <summary>True when the connection was made.</summary>
    public required bool Allowed { get; init; }

    /// <summary>Why it was refused or how it ended.</summary>
    public string? Reason { get; init; }

    /// <summary>The status the proxy answered with.</summary>
    public int StatusCode { get; init; }

    /// <summary>The address connected to, when one was.</summary>
    public string? ResolvedAddress { get; init; }

    /// <summary>Bytes sent from the sandbox.</summary>
    public long BytesUp { get; init; }

    /// <summary>Bytes received into the sandbox.</summary>
    public long BytesDown { get; init; }

    /// <summary>How long the connection lasted, in milliseconds.</summary>
    public long DurationMs { get; init; }
}
