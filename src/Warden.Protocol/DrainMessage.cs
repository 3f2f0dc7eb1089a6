namespace Warden.Protocol;

/// <summary>Server to worker: finish the running sessions, accept no new ones, then disconnect.</summary>
public sealed record DrainMessage : ProtocolMessage
{
    /// <summary>Why, for the worker's log.</summary>
    public string? Reason { get; init; }
}
