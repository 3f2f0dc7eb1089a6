using Warden.Worker.Runtime;

namespace Warden.Cli.Commands;

/// <summary>
/// Chooses the session runtime for <c>warden worker</c> and the local worker of <c>warden up</c>. THE SANDBOX SEAM:
/// until <c>Warden.Sandbox</c> lands there is no sandboxed runtime, so a worker runs only under an explicit
/// <c>--insecure-no-sandbox</c>, with the non-sandboxed <see cref="ProcessSessionRuntimeFactory"/> and a loud warning.
/// </summary>
public static class WorkerRuntimes
{
    /// <summary>The one-line refusal when no sandbox is available and the insecure flag was not given.</summary>
    public const string SandboxRequired =
        "The sandbox runtime (bubblewrap, Warden.Sandbox) is required to run agent sessions and is not part of this build yet; " +
        "pass --insecure-no-sandbox to run sessions WITHOUT isolation (development only).";

    /// <summary>The warning printed whenever sessions will run without a sandbox.</summary>
    public const string InsecureWarning =
        "WARNING: --insecure-no-sandbox: agent sessions run as plain processes of this user, with its files, network and " +
        "processes in reach. Never use this with untrusted repositories or in production.";

    /// <summary>The runtime to use, or null when none may be used (then the caller refuses with <see cref="SandboxRequired"/>).</summary>
    public static ISessionRuntimeFactory? Select(bool insecureNoSandbox)
    {
        // TODO(Warden.Sandbox): when the bubblewrap runtime lands, return it here whenever bubblewrap is usable (and
        // prefer it even under --insecure-no-sandbox); fall back to the process runtime only with the insecure flag.
        return insecureNoSandbox ? new ProcessSessionRuntimeFactory() : null;
    }
}
