namespace Warden.Data.Workers;

/// <summary>A worker in the registry.</summary>
/// <param name="Id">Stable id (<c>wkr_...</c>), kept by the worker across reconnections.</param>
/// <param name="OrgId">The org.</param>
/// <param name="Pool">The pool's name.</param>
/// <param name="PoolId">The pool's id.</param>
/// <param name="Name">The worker's name.</param>
/// <param name="Version">Its software version.</param>
/// <param name="Labels">Its own labels (the pool's are added when matching).</param>
/// <param name="Capacity">Sessions it runs at once.</param>
/// <param name="Sandboxed">False when it runs sessions without a sandbox (<c>--insecure-no-sandbox</c>).</param>
/// <param name="State">Its state.</param>
/// <param name="StateReason">Why it is in that state, for lost and offline workers.</param>
/// <param name="Running">Sessions running at the last heartbeat.</param>
/// <param name="CreatedAt">First registration.</param>
/// <param name="ConnectedAt">Start of the current (or last) connection.</param>
/// <param name="LastHeartbeatAt">Last heartbeat recorded.</param>
/// <param name="DisconnectedAt">End of the last connection.</param>
public sealed record WorkerRecord(string Id, string OrgId, string Pool, string PoolId, string Name, string Version,
    IReadOnlyDictionary<string, string> Labels, int Capacity, bool Sandboxed, WorkerState State, string? StateReason, int Running,
    DateTimeOffset CreatedAt, DateTimeOffset? ConnectedAt, DateTimeOffset? LastHeartbeatAt, DateTimeOffset? DisconnectedAt);
