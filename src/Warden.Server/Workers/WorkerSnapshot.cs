using Warden.Data.Workers;

namespace Warden.Server.Workers;

/// <summary>The live view of one worker this server knows (connected now, or lost and within its grace period).</summary>
/// <param name="Id">The worker.</param>
/// <param name="OrgId">Its org.</param>
/// <param name="Pool">Its pool.</param>
/// <param name="Name">Its name.</param>
/// <param name="State">Its state.</param>
/// <param name="Connected">True while a connection is open.</param>
/// <param name="Capacity">Sessions it runs at once.</param>
/// <param name="Sessions">Sessions bound to it now.</param>
/// <param name="Load">The host's load per core at the last heartbeat.</param>
/// <param name="LastHeartbeatAt">The last heartbeat (server clock).</param>
/// <param name="LostAt">When it was lost, if it is.</param>
public sealed record WorkerSnapshot(string Id, string OrgId, string Pool, string Name, WorkerState State, bool Connected, int Capacity,
    IReadOnlyList<string> Sessions, double Load, DateTimeOffset LastHeartbeatAt, DateTimeOffset? LostAt);
