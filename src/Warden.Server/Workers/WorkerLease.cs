namespace Warden.Server.Workers;

/// <summary>A session placed on a worker and ready for tool calls.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="WorkerId">The worker.</param>
/// <param name="WorkerName">The worker's name.</param>
/// <param name="Pool">The pool.</param>
/// <param name="Commit">The commit checked out, if a repository was cloned.</param>
/// <param name="PrepareMs">How long the worker took to prepare the workspace.</param>
/// <param name="FromMirror">True when the worker's mirror cache already held the repository.</param>
public sealed record WorkerLease(string SessionId, string WorkerId, string WorkerName, string Pool, string? Commit, long PrepareMs, bool FromMirror);
