namespace Warden.Sandbox;

/// <summary>How the worker's host runs sandboxes.</summary>
public sealed record SandboxRuntimeOptions
{
    /// <summary>Bubblewrap (the default) or, only when asked for explicitly, no sandbox at all.</summary>
    public SandboxMode Mode { get; init; } = SandboxMode.Bubblewrap;

    /// <summary>Path of <c>bwrap</c>; null looks it up on the worker's PATH.</summary>
    public string? BubblewrapPath { get; init; }

    /// <summary>Path of <c>socat</c> (egress forwarder inside the sandbox); null looks it up on PATH.</summary>
    public string? SocatPath { get; init; }

    /// <summary>Path of <c>prlimit</c> (CPU time and file size limits); null looks it up on PATH.</summary>
    public string? PrlimitPath { get; init; }

    /// <summary>
    /// Folder for per-session state (home, /tmp, egress socket, launcher files). It is created with mode 0700 and
    /// must not be inside a workspace. Null: <c>$TMPDIR/warden-sandbox-&lt;uid&gt;</c>.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>Where cgroup filesystems are mounted.</summary>
    public string CgroupRoot { get; init; } = "/sys/fs/cgroup";

    /// <summary>
    /// The cgroup (path inside each hierarchy) under which session cgroups are made; null: a child
    /// <c>warden-sandbox</c> of the worker's own cgroup. On cgroup v2 the parent must allow enabling the pids and
    /// memory controllers for its children (a delegated subtree whose processes live in leaf cgroups).
    /// </summary>
    public string? CgroupParent { get; init; }

    /// <summary>
    /// When true (the default), a session is refused unless the pids and memory controllers can enforce its limits;
    /// when false, a session without them runs with rlimits only and a warning is logged.
    /// </summary>
    public bool RequireCgroupLimits { get; init; } = true;

    /// <summary>Extra host paths bound read-only at the same place inside every sandbox (toolchains under /opt, ...).</summary>
    public IReadOnlyList<string> ExtraReadOnlyPaths { get; init; } = [];
}
