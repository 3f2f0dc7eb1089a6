namespace Warden.Protocol;

/// <summary>
/// Worker to server, the first message on every connection. A worker that reconnects sends the id it was given and
/// the sessions it still holds, and the server re-binds them (<see cref="RegisteredMessage.Resumed"/>).
/// </summary>
public sealed record HelloMessage : ProtocolMessage
{
    /// <summary>The id the server gave this worker before, or null on its first registration.</summary>
    public string? WorkerId { get; init; }

    /// <summary>
    /// The secret the server gave this worker with its id (<see cref="RegisteredMessage.WorkerSecret"/>); required with
    /// <see cref="WorkerId"/>. It proves the worker is the one the id was issued to, not merely a holder of the pool's join token.
    /// </summary>
    public string? WorkerSecret { get; init; }

    /// <summary>A human name (the host name by default).</summary>
    public required string Name { get; init; }

    /// <summary>The worker's software version.</summary>
    public required string SoftwareVersion { get; init; }

    /// <summary>The pool the worker expects to join; must be the join token's pool when given.</summary>
    public string? Pool { get; init; }

    /// <summary>Labels sessions can require (for example <c>arch=arm64</c>, <c>gpu=true</c>).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>How many sessions the worker runs at once.</summary>
    public int Capacity { get; init; } = 1;

    /// <summary>True when the worker is draining (it was told to, or is shutting down).</summary>
    public bool Draining { get; init; }

    /// <summary>Sessions the worker still holds from before a reconnect.</summary>
    public IReadOnlyList<string> Sessions { get; init; } = [];

    /// <summary>Whether session runtimes are isolated by a sandbox (false only under <c>--insecure-no-sandbox</c>).</summary>
    public bool Sandboxed { get; init; }
}
