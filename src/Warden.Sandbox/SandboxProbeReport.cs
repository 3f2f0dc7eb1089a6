namespace Warden.Sandbox;

/// <summary>What the host offers for sandboxes, as found by <see cref="SandboxRuntime.Probe"/>.</summary>
public sealed record SandboxProbeReport
{
    /// <summary>Path of bubblewrap, or null when it was not found.</summary>
    public string? BubblewrapPath { get; init; }

    /// <summary>Bubblewrap's version line, when it ran.</summary>
    public string? BubblewrapVersion { get; init; }

    /// <summary>True when a trivial sandbox with every namespace unshared ran and exited 0.</summary>
    public bool BubblewrapWorks { get; init; }

    /// <summary>True when bubblewrap supports <c>--disable-userns</c> (used when present).</summary>
    public bool BubblewrapDisablesUserNamespaces { get; init; }

    /// <summary>The cgroup hierarchy found.</summary>
    public CgroupVersion CgroupVersion { get; init; }

    /// <summary>Controllers in which the worker can make session cgroups (pids, memory, cpu, freezer).</summary>
    public IReadOnlyList<string> WritableCgroupControllers { get; init; } = [];

    /// <summary>True when a whole cgroup can be killed at once (v2 <c>cgroup.kill</c> or the v1 freezer).</summary>
    public bool CgroupKillSupported { get; init; }

    /// <summary>Path of socat, or null: then egress is unavailable.</summary>
    public string? SocatPath { get; init; }

    /// <summary>Path of prlimit, or null: then CPU time and file size limits are unavailable.</summary>
    public string? PrlimitPath { get; init; }

    /// <summary>Everything that stops or weakens sandboxing, one sentence each for an operator.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>True when the pids and memory controllers are both writable.</summary>
    public bool CgroupLimitsAvailable =>
        WritableCgroupControllers.Contains("pids") && WritableCgroupControllers.Contains("memory");

    /// <summary>True when sessions with egress can be made (socat is present).</summary>
    public bool EgressAvailable => SocatPath is not null;
}
