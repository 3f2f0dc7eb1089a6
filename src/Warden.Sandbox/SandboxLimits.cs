namespace Warden.Sandbox;

/// <summary>
/// Resource limits of one session. Processes and memory are enforced by the session's cgroup (they hold for the
/// whole session, summed over every process of it); CPU time and file size are rlimits set on every command
/// (they hold per process); wall-clock limits are enforced by the worker, which kills the command.
/// </summary>
public sealed record SandboxLimits
{
    /// <summary>The default limits: 256 processes, 2 GiB of memory, 10 minutes of CPU and of wall clock per command, 1 GiB per file.</summary>
    public static SandboxLimits Default { get; } = new();

    /// <summary>Most processes and threads alive at once in the session (cgroup <c>pids.max</c>); null for no limit.</summary>
    public int? MaxProcesses { get; init; } = 256;

    /// <summary>Most memory the session may use, page cache and tmpfs included (cgroup memory limit); null for no limit.</summary>
    public long? MemoryBytes { get; init; } = 2L * 1024 * 1024 * 1024;

    /// <summary>CPU time one process may use (RLIMIT_CPU; SIGXCPU when reached, SIGKILL a second later); null for no limit.</summary>
    public TimeSpan? CpuTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Largest file a process may write (RLIMIT_FSIZE; the write fails with EFBIG and SIGXFSZ); null for no limit.</summary>
    public long? FileSizeBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>CPU bandwidth of the whole session in cores (cgroup cpu quota, e.g. 1.5); null for no limit.</summary>
    public double? CpuCores { get; init; }

    /// <summary>Wall-clock time of one command when its <see cref="CommandSpec.Timeout"/> does not say otherwise.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Wall-clock budget of the whole session, counted from its creation; null for none. A command never runs past
    /// it, and once it is spent every command returns at once with <see cref="SandboxLimit.WallClock"/>.
    /// </summary>
    public TimeSpan? SessionWallClock { get; init; }
}
