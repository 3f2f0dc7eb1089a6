namespace Warden.Server.Workers;

/// <summary>
/// Worker timings on the server (section <c>Warden:Workers</c>). A worker that sends nothing for
/// <see cref="HeartbeatTimeout"/> is disconnected and counted lost; a lost worker's sessions are held for
/// <see cref="GracePeriod"/> and failed if it has not returned by then.
/// </summary>
public sealed record WorkerServerOptions
{
    /// <summary>How often workers send heartbeats.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Silence after which a connected worker is taken for lost.</summary>
    public TimeSpan HeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>How long a lost worker's sessions wait for it to come back.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How often the monitor looks for silent and lost workers (wall-clock time).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a worker may take to prepare a session's workspace.</summary>
    public TimeSpan PrepareTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Every problem with these options.</summary>
    public IEnumerable<string> Validate()
    {
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(100) || HeartbeatInterval > TimeSpan.FromMinutes(5))
        {
            yield return "Workers:HeartbeatInterval must be between 100 ms and 5 minutes.";
        }

        if (HeartbeatTimeout < HeartbeatInterval * 2)
        {
            yield return "Workers:HeartbeatTimeout must be at least twice the heartbeat interval.";
        }

        if (GracePeriod < TimeSpan.Zero)
        {
            yield return "Workers:GracePeriod must not be negative.";
        }

        if (SweepInterval <= TimeSpan.Zero || PrepareTimeout <= TimeSpan.Zero)
        {
            yield return "Workers:SweepInterval and Workers:PrepareTimeout must be positive.";
        }
    }
}
