namespace Warden.Data.Workers;

/// <summary>Where a worker is in its life, as the registry sees it.</summary>
public enum WorkerState
{
    /// <summary>Connected and heartbeating; takes sessions when it has capacity.</summary>
    Online,

    /// <summary>Connected, finishing its sessions, taking no new ones.</summary>
    Draining,

    /// <summary>Gone silent or disconnected unexpectedly; its sessions are held for the grace period.</summary>
    Lost,

    /// <summary>Disconnected cleanly, or lost for longer than the grace period.</summary>
    Offline,
}
