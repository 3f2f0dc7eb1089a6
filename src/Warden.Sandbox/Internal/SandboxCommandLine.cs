namespace Warden.Sandbox.Internal;

/// <summary>The pieces of the bubblewrap command line and the launcher that puts a command into its cgroup.</summary>
internal static class SandboxCommandLine
{
    /// <summary>The uid and gid the sandbox's processes have inside their user namespace.</summary>
    public const string SandboxUid = "1000";

    /// <summary>The home folder inside the sandbox (a per-session folder).</summary>
    public const string SandboxHome = "/home/agent";

    /// <summary>Where the egress proxy's socket appears inside the sandbox.</summary>
    public const string EgressSocket = "/run/warden/egress.sock";

    /// <summary>The loopback port the in-sandbox forwarder listens on.</summary>
    public const int ProxyPort = 3128;

    /// <summary>The PATH the launcher runs with outside the sandbox.</summary>
    public const string LauncherPath = "/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The PATH inside the sandbox.</summary>
    public const string SandboxPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>
    /// The launcher, run by bash outside the sandbox: it closes every descriptor above 2 it inherited (the worker,
    /// or whatever started the worker, may hold some without close-on-exec, and bubblewrap would pass them into the
    /// sandbox), writes its own pid into every cgroup.procs file given (so the command is in the cgroup before it
    /// can fork), then execs the rest of its arguments, with the bubblewrap options file on fd 3 when one is given.
    /// Arguments: options file (or ""), number of procs files, the files, the command.
    /// </summary>
    public const string LauncherScript =
        """
        for f in /proc/$$/fd/*; do
          n=${f##*/}
          case $n in 0|1|2) ;; *) eval "exec $n>&-" 2>/dev/null ;; esac
        done
        a=$1; n=$2; shift 2
        while [ "$n" -gt 0 ]; do
          echo $$ > "$1" || { echo "warden-sandbox: cannot join the session cgroup" >&2; exit 125; }
          shift; n=$((n-1))
        done
        if [ -n "$a" ]; then exec "$@" 3<"$a"; else exec "$@"; fi
        """;

    /// <summary>The same launcher for a host without bash: POSIX sh can only close descriptors 3 to 9.</summary>
    public const string PosixLauncherScript =
        """
        exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
        a=$1; n=$2; shift 2
        while [ "$n" -gt 0 ]; do
          echo $$ > "$1" || { echo "warden-sandbox: cannot join the session cgroup" >&2; exit 125; }
          shift; n=$((n-1))
        done
        if [ -n "$a" ]; then exec "$@" 3<"$a"; else exec "$@"; fi
        """;

    /// <summary>
    /// Runs inside the sandbox before the command when egress is on: starts the forwarder from the loopback proxy
    /// port to the egress socket and waits until it listens (reading /proc/net/tcp, which shows the sandbox's own
    /// network namespace), then execs the command. Argument 1 is the socat path.
    /// </summary>
    public const string EgressInitScript =
        """
        s=$1; shift
        "$s" TCP-LISTEN:3128,bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:/run/warden/egress.sock </dev/null >/dev/null 2>&1 &
        i=0
        while [ $i -lt 20000 ]; do
          while read -r _ l _ st _; do
            if [ "$l" = 0100007F:0C38 ] && [ "$st" = 0A ]; then i=listening; break 2; fi
          done < /proc/net/tcp
          i=$((i+1))
        done
        [ "$i" = listening ] || echo "warden-sandbox: the egress forwarder did not start; the network is unavailable" >&2
        exec "$@"
        """;

    /// <summary>
    /// Files of the host's /etc a toolchain needs and that hold nothing about the host's users or secrets. Modes do
    /// not protect what is bound in: when the worker runs as root, the sandbox user is root's uid outside its user
    /// namespace and so owns root's files (hence /etc/ssl/certs, never /etc/ssl/private).
    /// </summary>
    private static readonly string[] EtcAllowList =
    [
        "/etc/alternatives", "/etc/ssl/certs", "/etc/ssl/openssl.cnf", "/etc/ca-certificates", "/etc/ca-certificates.conf",
        "/etc/pki/ca-trust", "/etc/pki/tls/certs",
        "/etc/crypto-policies", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
        "/etc/timezone", "/etc/nsswitch.conf", "/etc/protocols", "/etc/services", "/etc/mime.types",
        "/etc/os-release", "/etc/debian_version", "/etc/bash.bashrc", "/etc/profile", "/etc/inputrc",
        "/etc/login.defs", "/etc/java-17-openjdk", "/etc/python3", "/etc/perl",
    ];

    private static readonly string[] TopLevelLinks = ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];

    /// <summary>Read-only binds of the system folders: /usr, the /bin and /lib family, selected /etc files, extra paths.</summary>
    public static List<string> SystemBinds(IReadOnlyList<string> extraReadOnlyPaths)
    {
        var arguments = new List<string> { "--ro-bind", "/usr", "/usr" };
        foreach (var top in TopLevelLinks)
        {
            var info = new DirectoryInfo(top);
            if (info.LinkTarget is { } target)
            {
                arguments.AddRange(["--symlink", target, top]);
            }
            else if (info.Exists)
            {
                arguments.AddRange(["--ro-bind", top, top]);
            }
        }

        foreach (var path in EtcAllowList)
        {
            arguments.AddRange(["--ro-bind-try", path, path]);
        }

        foreach (var path in extraReadOnlyPaths)
        {
            arguments.AddRange(["--ro-bind", path, path]);
        }

        return arguments;
    }
}
