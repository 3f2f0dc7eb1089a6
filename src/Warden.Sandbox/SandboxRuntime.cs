using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Sandbox.Internal;

namespace Warden.Sandbox;

/// <summary>
/// The host's sandbox facility: finds bubblewrap, cgroups, socat and prlimit once, and makes sessions.
/// One instance serves the whole worker; it is thread-safe.
/// </summary>
public sealed class SandboxRuntime
{
    private readonly ILoggerFactory _loggerFactory;

    private SandboxRuntime(SandboxRuntimeOptions options, SandboxProbeReport report, CgroupHost cgroups, string stateDirectory, bool disableUserNamespaces, ILoggerFactory loggerFactory)
    {
        Options = options;
        Report = report;
        Cgroups = cgroups;
        StateDirectory = stateDirectory;
        DisableUserNamespaces = disableUserNamespaces;
        _loggerFactory = loggerFactory;
    }

    /// <summary>The options the runtime was made with.</summary>
    public SandboxRuntimeOptions Options { get; }

    /// <summary>What the probe found when the runtime was made.</summary>
    public SandboxProbeReport Report { get; }

    /// <summary>The folder holding per-session state (mode 0700).</summary>
    public string StateDirectory { get; }

    internal CgroupHost Cgroups { get; }

    internal bool DisableUserNamespaces { get; }

    /// <summary>bash when the host has it (the launcher closes inherited descriptors with it), else /bin/sh.</summary>
    internal string LauncherShell { get; } = HostTools.Find(null, "bash") ?? "/bin/sh";

    /// <summary>
    /// Probes the host without failing: bubblewrap present and able to run a trivial sandbox with every namespace
    /// unshared, the cgroup version and which controllers the worker can use (this creates the parent cgroup),
    /// socat and prlimit present.
    /// </summary>
    public static SandboxProbeReport Probe(SandboxRuntimeOptions? options = null) => ProbeCore(options ?? new SandboxRuntimeOptions()).Report;

    /// <summary>
    /// Probes the host and makes a runtime. In <see cref="SandboxMode.Bubblewrap"/> mode it throws
    /// <see cref="SandboxRuntimeException"/> when bubblewrap is missing or cannot create namespaces, and when
    /// cgroup limits are required (<see cref="SandboxRuntimeOptions.RequireCgroupLimits"/>) but unavailable.
    /// </summary>
    public static SandboxRuntime Create(SandboxRuntimeOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options ??= new SandboxRuntimeOptions();
        var (report, cgroups) = ProbeCore(options);
        if (options.Mode == SandboxMode.Bubblewrap)
        {
            if (report.BubblewrapPath is null)
            {
                throw new SandboxRuntimeException("bubblewrap (bwrap) is not installed: agent sessions cannot be sandboxed. Install it (Debian: apt-get install bubblewrap) or, on a development machine only, choose SandboxMode.InsecureNoSandbox.");
            }

            if (!report.BubblewrapWorks)
            {
                throw new SandboxRuntimeException("bubblewrap is installed but cannot create a sandbox: " + string.Join(" ", report.Problems));
            }
        }

        if (options.RequireCgroupLimits && !cgroups.HasLimits)
        {
            throw new SandboxRuntimeException("The pids and memory cgroup controllers are not usable, so session limits cannot be enforced: " + string.Join(" ", report.Problems) + " Set RequireCgroupLimits = false to run with rlimits only.");
        }

        var state = PrepareStateDirectory(options.StateDirectory);
        return new SandboxRuntime(options, report, cgroups, state, report.BubblewrapDisablesUserNamespaces, loggerFactory ?? NullLoggerFactory.Instance);
    }

    /// <summary>
    /// Makes a session: its cgroup, its private home and /tmp, its egress proxy when asked for. Dispose the session to
    /// kill all its processes and remove all of that.
    /// </summary>
    public Task<SandboxSession> CreateSessionAsync(SandboxSessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        return SandboxSession.CreateAsync(this, options, _loggerFactory.CreateLogger("Warden.Sandbox"), cancellationToken);
    }

    private static (SandboxProbeReport Report, CgroupHost Cgroups) ProbeCore(SandboxRuntimeOptions options)
    {
        var problems = new List<string>();
        var bwrap = HostTools.Find(options.BubblewrapPath, "bwrap");
        string? version = null;
        var works = false;
        var disablesUserNamespaces = false;
        if (bwrap is null)
        {
            problems.Add("bubblewrap (bwrap) was not found.");
        }
        else
        {
            var (code, stdout, _) = HostTools.Run(bwrap, ["--version"], TimeSpan.FromSeconds(10));
            version = code == 0 ? stdout.Trim() : null;
            var (_, help, helpErr) = HostTools.Run(bwrap, ["--help"], TimeSpan.FromSeconds(10));
            disablesUserNamespaces = (help + helpErr).Contains("--disable-userns", StringComparison.Ordinal);
            var arguments = new List<string>(SandboxCommandLine.SystemBinds(options.ExtraReadOnlyPaths))
            {
                "--proc", "/proc", "--dev", "/dev", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
                "--uid", SandboxCommandLine.SandboxUid, "--gid", SandboxCommandLine.SandboxUid,
            };
            if (disablesUserNamespaces)
            {
                arguments.Add("--disable-userns");
            }

            arguments.AddRange(["--", "/bin/sh", "-c", "exit 0"]);
            var (runCode, _, runErr) = HostTools.Run(bwrap, arguments, TimeSpan.FromSeconds(30));
            works = runCode == 0;
            if (!works)
            {
                problems.Add($"bubblewrap could not run a trivial sandbox (exit {runCode}): {runErr.Trim()}");
            }
        }

        var cgroups = CgroupHost.Discover(options.CgroupRoot, options.CgroupParent, problems);
        var socat = HostTools.Find(options.SocatPath, "socat");
        if (socat is null)
        {
            problems.Add("socat was not found: sessions cannot have network egress.");
        }

        var prlimit = HostTools.Find(options.PrlimitPath, "prlimit");
        if (prlimit is null)
        {
            problems.Add("prlimit was not found: CPU time and file size limits cannot be set.");
        }

        var report = new SandboxProbeReport
        {
            BubblewrapPath = bwrap,
            BubblewrapVersion = version,
            BubblewrapWorks = works,
            BubblewrapDisablesUserNamespaces = disablesUserNamespaces,
            CgroupVersion = cgroups.Version,
            WritableCgroupControllers = cgroups.Controllers,
            CgroupKillSupported = cgroups.KillSupported,
            SocatPath = socat,
            PrlimitPath = prlimit,
            Problems = problems,
        };
        return (report, cgroups);
    }

    private static string PrepareStateDirectory(string? configured)
    {
        var path = Path.GetFullPath(configured ?? Path.Combine(Path.GetTempPath(), "warden-sandbox-" + Environment.UserName));
        var info = new DirectoryInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new SandboxRuntimeException($"The sandbox state folder {path} is a symbolic link; refusing to use it.");
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // An existing folder (another user's in a shared /tmp?) must become ours alone.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}
