namespace Warden.Protocol;

/// <summary>Server to worker: the registration is accepted, with the timings the worker must keep.</summary>
public sealed record RegisteredMessage : ProtocolMessage
{
    /// <summary>The worker's id; the worker keeps it and sends it in later hellos.</summary>
    public required string WorkerId { get; init; }

    /// <summary>
    /// A worker secret issued now (a new worker, or one from before workers had secrets), otherwise null. The worker
    /// keeps it privately with its id and sends it in every later hello.
    /// </summary>
    public string? WorkerSecret { get; init; }

    /// <summary>The pool the worker joined.</summary>
    public required string Pool { get; init; }

    /// <summary>How often to send a heartbeat, in milliseconds.</summary>
    public int HeartbeatIntervalMs { get; init; }

    /// <summary>How long the server keeps a silent or disconnected worker's sessions before failing them, in milliseconds.</summary>
    public int GracePeriodMs { get; init; }

    /// <summary>Sessions from the hello that the server re-bound to this worker.</summary>
    public IReadOnlyList<string> Resumed { get; init; } = [];

    /// <summary>Sessions from the hello the server no longer knows (ended or failed meanwhile): release them.</summary>
    public IReadOnlyList<string> Abandoned { get; init; } = [];
}
