namespace Warden.Sandbox;

/// <summary>The cgroup hierarchy the host offers.</summary>
public enum CgroupVersion
{
    /// <summary>No usable cgroup hierarchy was found.</summary>
    None,

    /// <summary>cgroup v1: one hierarchy per controller (<c>/sys/fs/cgroup/pids</c>, <c>/sys/fs/cgroup/memory</c>, ...).</summary>
    V1,

    /// <summary>cgroup v2: one unified hierarchy with <c>cgroup.controllers</c> at its root.</summary>
    V2,
}
