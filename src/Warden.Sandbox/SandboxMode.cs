namespace Warden.Sandbox;

/// <summary>How a <see cref="SandboxRuntime"/> isolates the commands of its sessions.</summary>
public enum SandboxMode
{
    /// <summary>Every command runs under bubblewrap in fresh namespaces, inside the session's cgroup.</summary>
    Bubblewrap,

    /// <summary>
    /// Commands run directly on the host with a scrubbed environment and no namespaces: no filesystem or network
    /// isolation at all. Only for development machines without bubblewrap; every session logs a warning.
    /// </summary>
    InsecureNoSandbox,
}
