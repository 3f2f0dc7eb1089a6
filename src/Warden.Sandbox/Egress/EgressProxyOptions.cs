namespace Warden.Sandbox.Egress;

/// <summary>How a session's egress proxy behaves.</summary>
public sealed record EgressProxyOptions
{
    /// <summary>Decides and records every attempt.</summary>
    public required IEgressGate Gate { get; init; }

    /// <summary>
    /// Lets an allowed request reach loopback addresses (127.0.0.0/8, ::1). Off by default: the worker's own
    /// services listen there. Tests turn it on to show an allowed local listener is reachable.
    /// </summary>
    public bool AllowLoopbackTargets { get; init; }

    /// <summary>
    /// Lets an allowed request reach private and shared networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    /// Off by default: the worker's internal network, database and control plane live there.
    /// </summary>
    public bool AllowPrivateNetworkTargets { get; init; }

    /// <summary>Largest request head (request line and headers) accepted; larger gets 431.</summary>
    public int MaxHeaderBytes { get; init; } = 16 * 1024;

    /// <summary>Time allowed for the request head to arrive.</summary>
    public TimeSpan HeaderTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Time allowed for name resolution and the TCP connect.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A tunnel or forwarded request with no bytes either way for this long is closed.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Most connections open at once for the session; more get 503.</summary>
    public int MaxConnections { get; init; } = 64;

    /// <summary>The clock for audit timestamps.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
