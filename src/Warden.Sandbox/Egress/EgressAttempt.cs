namespace Warden.Sandbox.Egress;

/// <summary>The audit record of one egress attempt.</summary>
public sealed record EgressAttempt
{
    /// <summary>The session the attempt came from.</summary>
    public required string SessionId { get; init; }

    /// <summary>The request, or null when it was too malformed to say what it asked for.</summary>
    public EgressRequest? Request { get; init; }

    /// <summary>True when a connection to the target was made.</summary>
    public bool Allowed { get; init; }

    /// <summary>
    /// Why it ended as it did: <c>allowed</c>, <c>denied by policy</c>, <c>blocked address</c>, <c>dns failure</c>,
    /// <c>connect failed</c>, <c>malformed request</c>, <c>headers too large</c>, <c>too many connections</c>, ...
    /// </summary>
    public required string Reason { get; init; }

    /// <summary>The HTTP status the proxy answered (200 for an established tunnel).</summary>
    public int StatusCode { get; init; }

    /// <summary>The address connected to (or refused), when the name was resolved.</summary>
    public string? ResolvedAddress { get; init; }

    /// <summary>Bytes sent from the sandbox to the target.</summary>
    public long BytesUp { get; init; }

    /// <summary>Bytes sent from the target to the sandbox.</summary>
    public long BytesDown { get; init; }

    /// <summary>When the request arrived.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>How long the attempt lasted.</summary>
    public TimeSpan Duration { get; init; }
}
