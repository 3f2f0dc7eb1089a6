namespace Warden.Worker.Runtime;

/// <summary>
/// How a session's egress proxy reaches the server: to ask whether policy permits a connection
/// (<c>egress.connect</c>) and to report every attempt for the audit ledger. The worker's connection implements it.
/// </summary>
public interface IEgressChannel
{
    /// <summary>Asks the server; false when it refuses, does not answer in time, or cannot be reached.</summary>
    Task<(bool Allowed, string? Reason)> CheckAsync(string sessionId, string host, int port, string scheme, CancellationToken cancellationToken);

    /// <summary>Reports a finished attempt (best effort: an attempt while disconnected is logged by the worker only).</summary>
    void Report(Protocol.EgressAttemptMessage attempt);
}
