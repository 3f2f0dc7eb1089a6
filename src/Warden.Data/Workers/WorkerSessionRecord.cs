namespace Warden.Data.Workers;

/// <summary>A session bound to a worker.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="OrgId">Its org.</param>
/// <param name="PoolId">The pool it was assigned in.</param>
/// <param name="WorkerId">The worker.</param>
/// <param name="State">Where it is.</param>
/// <param name="Reason">Why it failed or ended.</param>
/// <param name="Repository">The repository cloned for it.</param>
/// <param name="CreatedAt">When it was assigned.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record WorkerSessionRecord(string SessionId, string OrgId, string PoolId, string WorkerId, WorkerSessionState State,
    string? Reason, string? Repository, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
