using Warden.Sandbox.Egress;

namespace Warden.Sandbox;

/// <summary>What one sandbox session is given. See the README for what is visible inside.</summary>
public sealed record SandboxSessionOptions
{
    /// <summary>The session's id: letters, digits, '-', '_' and '.', at most 64 characters (it names cgroups and folders).</summary>
    public required string SessionId { get; init; }

    /// <summary>
    /// The host folder with the session's checkout. It is the only host tree the sandbox can write, and appears
    /// inside at <see cref="SandboxSession.SandboxWorkspacePath"/> (<c>/workspace</c>). Its <c>.git</c> folder is
    /// bound read-only (an empty read-only folder stands in when there is none).
    /// </summary>
    public required string WorkspaceDirectory { get; init; }

    /// <summary>Resource limits.</summary>
    public SandboxLimits Limits { get; init; } = SandboxLimits.Default;

    /// <summary>
    /// Variables added to the scrubbed sandbox environment (PATH, HOME, USER, LANG, TERM, TMPDIR and, with egress, the
    /// proxy variables). The worker's own environment never reaches the sandbox.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>
    /// Network egress: null gives the sandbox no network at all (only its own loopback); otherwise an HTTP proxy
    /// outside the sandbox asks <see cref="EgressProxyOptions.Gate"/> about every connection.
    /// </summary>
    public EgressProxyOptions? Egress { get; init; }

    /// <summary>Bytes of the start of each output stream kept in <see cref="CommandResult"/>.</summary>
    public int OutputHeadBytes { get; init; } = 32 * 1024;

    /// <summary>Bytes of the end of each output stream kept in <see cref="CommandResult"/>.</summary>
    public int OutputTailBytes { get; init; } = 32 * 1024;
}
