namespace Warden.Protocol;

/// <summary>Resource limits for one session; the sandbox enforces them (a null limit means the worker's default).</summary>
public sealed record SessionLimits
{
    /// <summary>Wall-clock time the whole session may take, in seconds.</summary>
    public int? WallClockSeconds { get; init; }

    /// <summary>Default time one tool call may take, in milliseconds.</summary>
    public int? ToolTimeoutMs { get; init; }

    /// <summary>Memory, in MiB.</summary>
    public int? MemoryMb { get; init; }

    /// <summary>Processes at once.</summary>
    public int? Processes { get; init; }

    /// <summary>CPU time, in seconds.</summary>
    public int? CpuSeconds { get; init; }

    /// <summary>Largest file a process may write, in MiB.</summary>
    public int? FileSizeMb { get; init; }

    /// <summary>Output kept per tool call, in bytes (head and tail; the middle is cut).</summary>
    public int? OutputBytes { get; init; }
}
