using Warden.Client.Contracts;
using Warden.Data.Workers;

namespace Warden.Server.Workers;

/// <summary>API shapes for pools, tokens and workers; a worker's live state (from the hub) wins over the stored one.</summary>
public static class WorkerViews
{
    /// <summary>A pool, with how many of its workers are connected now.</summary>
    public static PoolDto From(WorkerPool p, IReadOnlyList<WorkerSnapshot> live) =>
        new(p.Id, p.Name, p.Description, p.Labels, p.Workers, live.Count(w => w.Pool == p.Name && w.Connected), p.ActiveTokens, p.CreatedBy, p.CreatedAt);

    /// <summary>A join token; <paramref name="now"/> decides whether it reads active or expired.</summary>
    public static JoinTokenDto From(JoinToken t, DateTimeOffset now) =>
        new(t.Id, t.Pool, t.Name, t.Prefix, t.StateAt(now), t.CreatedBy, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt);

    /// <summary>A worker, merged with its live view when the hub tracks it.</summary>
    public static WorkerDto From(WorkerRecord r, WorkerSnapshot? live)
    {
        // A worker the hub does not track is not connected to this server, whatever the last stored state said.
        var state = live?.State ?? (r.State is WorkerState.Online or WorkerState.Draining ? WorkerState.Offline : r.State);
        return new WorkerDto(r.Id, r.Name, r.Pool, state.ToName(), r.StateReason, r.Version, r.Labels, r.Capacity, live?.Sessions.Count ?? 0,
            live?.Load ?? 0, r.Sandboxed, live?.Connected ?? false, r.ConnectedAt, live?.LastHeartbeatAt ?? r.LastHeartbeatAt, r.DisconnectedAt);
    }

    /// <summary>A session binding.</summary>
    public static WorkerSessionDto From(WorkerSessionRecord s) => new(s.SessionId, s.State.ToName(), s.Reason, s.Repository, s.CreatedAt, s.UpdatedAt);
}
