using Warden.Sandbox;
using Warden.Worker.Runtime;

namespace Warden.Cli.Commands;

/// <summary>
/// Chooses the session runtime for <c>warden worker</c> and the local worker of <c>warden up</c>: the bubblewrap
/// sandbox whenever it works on this host; without it, nothing, unless the operator passes
/// <c>--insecure-no-sandbox</c>, which runs sessions as plain processes with a loud warning.
/// </summary>
public static class WorkerRuntimes
{
    /// <summary>The one-line refusal when no sandbox is available and the insecure flag was not given.</summary>
    public const string SandboxRequired =
        "Agent sessions need the bubblewrap sandbox (apt-get install bubblewrap) with cgroup limits, and it is not usable here";

    /// <summary>The warning printed whenever sessions will run without a sandbox.</summary>
    public const string InsecureWarning =
        "WARNING: --insecure-no-sandbox: agent sessions run as plain processes of this user, with its files, network and " +
        "processes in reach. Never use this with untrusted repositories or in production.";

    /// <summary>
    /// The runtime to use, or null with the reason when none may be used (the caller refuses with it).
    /// <paramref name="allowPrivateEgress"/> lets sandboxes reach loopback and private addresses through the egress
    /// proxy when policy permits the host (for package mirrors inside the network and for tests).
    /// </summary>
    public static ISessionRuntimeFactory? Select(bool insecureNoSandbox, out string? refusal, bool allowPrivateEgress = false, string? bubblewrapPath = null)
    {
        refusal = null;
        var options = bubblewrapPath is null ? new SandboxRuntimeOptions() : new SandboxRuntimeOptions { BubblewrapPath = bubblewrapPath };
        var report = SandboxRuntime.Probe(options);
        if (report.BubblewrapWorks && report.CgroupLimitsAvailable)
        {
            return new SandboxSessionRuntimeFactory(SandboxRuntime.Create(options), allowPrivateEgressTargets: allowPrivateEgress);
        }

        if (insecureNoSandbox)
        {
            return new SandboxSessionRuntimeFactory(SandboxRuntime.Create(new SandboxRuntimeOptions { Mode = SandboxMode.InsecureNoSandbox, RequireCgroupLimits = false }),
                allowPrivateEgressTargets: allowPrivateEgress);
        }

        refusal = $"{SandboxRequired} ({string.Join(" ", report.Problems)}); pass --insecure-no-sandbox to run sessions WITHOUT isolation (development only).";
        return null;
    }
}
