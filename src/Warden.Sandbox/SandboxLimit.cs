namespace Warden.Sandbox;

/// <summary>The limits a command ran into, as far as the kernel lets the worker tell.</summary>
[Flags]
public enum SandboxLimit
{
    /// <summary>No limit was detected.</summary>
    None = 0,

    /// <summary>A fork failed because the session reached <see cref="SandboxLimits.MaxProcesses"/> (pids controller).</summary>
    Processes = 1,

    /// <summary>The kernel's OOM killer killed a process of the session (<see cref="SandboxLimits.MemoryBytes"/>).</summary>
    Memory = 2,

    /// <summary>The command was killed by SIGXFSZ: a file grew past <see cref="SandboxLimits.FileSizeBytes"/>.</summary>
    FileSize = 4,

    /// <summary>The command was killed by SIGXCPU: it used more than <see cref="SandboxLimits.CpuTime"/> of CPU.</summary>
    CpuTime = 8,

    /// <summary>The command ran past its timeout or the session's wall-clock budget and was killed.</summary>
    WallClock = 16,
}
