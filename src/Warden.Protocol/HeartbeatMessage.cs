namespace Warden.Protocol;

/// <summary>Worker to server, every <see cref="RegisteredMessage.HeartbeatIntervalMs"/>: alive, and how loaded.</summary>
public sealed record HeartbeatMessage : ProtocolMessage
{
    /// <summary>Sessions running now.</summary>
    public int Running { get; init; }

    /// <summary>The host's one-minute load average divided by its processor count (0 when unknown).</summary>
    public double Load { get; init; }

    /// <summary>True while the worker drains.</summary>
    public bool Draining { get; init; }
}
