using Warden.Data.Workers;
using Warden.Protocol;

namespace Warden.Server.Workers;

/// <summary>A worker as the hub tracks it. Fields marked "gate" change only under the hub's lock.</summary>
internal sealed class LiveWorker
{
    public required string Id { get; init; }

    public required string OrgId { get; init; }

    public required string PoolId { get; init; }

    public required string Pool { get; init; }

    public string Name { get; set; } = string.Empty;

    public IReadOnlyDictionary<string, string> Labels { get; set; } = Data.Workers.Labels.None;

    public IReadOnlyDictionary<string, string> PoolLabels { get; set; } = Data.Workers.Labels.None;

    public int Capacity { get; set; } = 1;

    public string? TokenId { get; set; }

    /// <summary>gate</summary>
    public WorkerState State { get; set; }

    /// <summary>gate</summary>
    public ProtocolSocket? Connection { get; set; }

    /// <summary>gate</summary>
    public HashSet<string> Sessions { get; } = new(StringComparer.Ordinal);

    /// <summary>gate</summary>
    public DateTimeOffset? LostAt { get; set; }

    public DateTimeOffset LastHeartbeat { get; set; }

    public DateTimeOffset HeartbeatPersistedAt { get; set; }

    public double Load { get; set; }
}
