namespace Warden.Sandbox.Egress;

/// <summary>What a sandbox asked the egress proxy for.</summary>
public sealed record EgressRequest
{
    /// <summary>The session the request came from.</summary>
    public required string SessionId { get; init; }

    /// <summary>The host name or IP literal asked for, lower-case, without brackets or a trailing dot.</summary>
    public required string Host { get; init; }

    /// <summary>The TCP port.</summary>
    public required int Port { get; init; }

    /// <summary><c>CONNECT</c> for a tunnel (usually TLS), else the HTTP method of a plain-HTTP request.</summary>
    public required string Method { get; init; }

    /// <summary><c>tunnel</c> for CONNECT, <c>http</c> for a forwarded plain-HTTP request.</summary>
    public required string Scheme { get; init; }
}
