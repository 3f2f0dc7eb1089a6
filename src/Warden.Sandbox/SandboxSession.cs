using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Warden.Sandbox.Egress;
using Warden.Sandbox.Internal;
using Warden.Sandbox.Tools;

namespace Warden.Sandbox;

/// <summary>
/// One agent session's sandbox. Every <see cref="RunAsync"/> starts a fresh bubblewrap sandbox (new mount, PID,
/// network, IPC, UTS and user namespaces) over the same filesystem view, inside the session's cgroup. A command's
/// background processes end with it: when its main process exits, its PID namespace and everything in it is killed.
/// State that persists between commands lives in the workspace, the session's home and its /tmp.
/// Disposing kills every process of the session, removes its cgroup and deletes its home, /tmp and egress socket.
/// </summary>
public sealed partial class SandboxSession : ISandboxCommandRunner, IAsyncDisposable
{
    /// <summary>Where the workspace appears inside the sandbox.</summary>
    public const string SandboxWorkspacePath = "/workspace";

    private const int MaxCommandLength = 100 * 1024;
    private readonly SandboxRuntime _runtime;
    private readonly SandboxSessionOptions _options;
    private readonly ILogger _logger;
    private readonly string _stateFolder;
    private readonly SandboxCgroup? _cgroup;
    private readonly EgressProxy? _egress;
    private readonly List<string> _bubblewrapOptions;
    private readonly Dictionary<string, string> _environment;
    private readonly string _shell;
    private readonly bool _createdGitPlaceholder;
    private readonly long _createdAt = Stopwatch.GetTimestamp();
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();
    private readonly CancellationTokenSource _disposing = new();
    private long _commandCounter;
    private int _disposed;

    private SandboxSession(
        SandboxRuntime runtime,
        SandboxSessionOptions options,
        ILogger logger,
        string workspace,
        string stateFolder,
        SandboxCgroup? cgroup,
        EgressProxy? egress,
        bool createdGitPlaceholder)
    {
        _runtime = runtime;
        _options = options;
        _logger = logger;
        WorkspaceDirectory = workspace;
        _stateFolder = stateFolder;
        _cgroup = cgroup;
        _egress = egress;
        _createdGitPlaceholder = createdGitPlaceholder;
        _shell = File.Exists("/usr/bin/bash") ? "/usr/bin/bash" : File.Exists("/bin/bash") ? "/bin/bash" : "/bin/sh";
        _environment = BuildEnvironment();
        _bubblewrapOptions = runtime.Options.Mode == SandboxMode.Bubblewrap ? BuildBubblewrapOptions() : [];
    }

    /// <summary>The session's id.</summary>
    public string SessionId => _options.SessionId;

    /// <summary>The workspace on the host (fully resolved).</summary>
    public string WorkspaceDirectory { get; }

    /// <summary>How the session's commands are isolated.</summary>
    public SandboxMode Mode => _runtime.Options.Mode;

    /// <summary>True when the session's commands can reach the network through the egress proxy.</summary>
    public bool HasEgress => _egress is not null;

    /// <summary>The session's cgroup folders on the host (one per v1 hierarchy, or one v2 folder); empty without cgroups.</summary>
    public IReadOnlyCollection<string> CgroupFolders => _cgroup?.Folders ?? [];

    /// <summary>The host folder with the session's private state (home, /tmp, egress socket); deleted on dispose.</summary>
    public string StateFolder => _stateFolder;

    internal static async Task<SandboxSession> CreateAsync(SandboxRuntime runtime, SandboxSessionOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        if (!SessionIdPattern().IsMatch(options.SessionId))
        {
            throw new ArgumentException("The session id must be 1-64 letters, digits, '-', '_' or '.', not starting with '.'.", nameof(options));
        }

        ValidateEnvironment(options.Environment, nameof(options));
        var workspace = ResolveWorkspace(options.WorkspaceDirectory, runtime.StateDirectory);
        var report = runtime.Report;
        var limits = options.Limits;
        if ((limits.CpuTime is not null || limits.FileSizeBytes is not null) && report.PrlimitPath is null)
        {
            throw new SandboxRuntimeException("CPU time and file size limits need prlimit (util-linux), which was not found.");
        }

        if (options.Egress is not null && runtime.Options.Mode == SandboxMode.Bubblewrap && report.SocatPath is null)
        {
            throw new SandboxRuntimeException("Egress was asked for but socat is not installed, so the sandbox cannot reach the egress proxy.");
        }

        var name = options.SessionId + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var stateFolder = Path.Combine(runtime.StateDirectory, name);
        SandboxCgroup? cgroup = null;
        EgressProxy? egress = null;
        var createdGitPlaceholder = false;
        try
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(stateFolder, Private);
            Directory.CreateDirectory(Path.Combine(stateFolder, "home"), Private);
            Directory.CreateDirectory(Path.Combine(stateFolder, "tmp"), Private);
            Directory.CreateDirectory(Path.Combine(stateFolder, "launch"), Private);
            Directory.CreateDirectory(Path.Combine(stateFolder, "etc"), Private);
            WriteEtcFiles(Path.Combine(stateFolder, "etc"));

            if (runtime.Options.Mode == SandboxMode.Bubblewrap)
            {
                createdGitPlaceholder = PrepareGitFolder(workspace);
            }

            if (runtime.Cgroups.Version != CgroupVersion.None)
            {
                cgroup = SandboxCgroup.Create(runtime.Cgroups, name, limits);
            }

            if (!runtime.Cgroups.HasLimits)
            {
                Log.NoCgroupLimits(logger, options.SessionId, "the pids and memory controllers are unavailable");
            }

            if (options.Egress is not null && runtime.Options.Mode == SandboxMode.Bubblewrap)
            {
                egress = EgressProxy.Start(Path.Combine(stateFolder, "egress.sock"), options.SessionId, options.Egress, logger);
            }

            if (runtime.Options.Mode == SandboxMode.InsecureNoSandbox)
            {
                Log.InsecureSession(logger, options.SessionId);
            }

            Log.SessionCreated(logger, options.SessionId, runtime.Options.Mode, runtime.Cgroups.Version, egress is not null);
            return new SandboxSession(runtime, options, logger, workspace, stateFolder, cgroup, egress, createdGitPlaceholder);
        }
        catch
        {
            if (egress is not null)
            {
                await egress.DisposeAsync().ConfigureAwait(false);
            }

            if (cgroup is not null)
            {
                await cgroup.KillAllAsync(CancellationToken.None).ConfigureAwait(false);
                cgroup.Remove();
            }

            if (createdGitPlaceholder)
            {
                TryRemoveEmptyFolder(Path.Combine(workspace, ".git"));
            }

            TryDeleteTree(stateFolder);
            throw;
        }
    }

    /// <summary>
    /// Runs one command in a fresh sandbox and waits for it and every process it started. Output is passed to
    /// <paramref name="onOutput"/> as it arrives (never concurrently) and returned with head-and-tail truncation.
    /// A timeout kills the command's whole process tree and returns with <see cref="CommandResult.TimedOut"/>;
    /// cancellation kills it too and throws <see cref="OperationCanceledException"/>. Commands of one session may run
    /// concurrently; <see cref="CommandResult.LimitHit"/> for processes and memory is then shared among them.
    /// Throws <see cref="ArgumentException"/> for a malformed spec, <see cref="Tools.WorkspaceToolException"/> when the
    /// working directory leaves the workspace, <see cref="ObjectDisposedException"/> after dispose, and rethrows
    /// what <paramref name="onOutput"/> throws (after stopping the command).
    /// </summary>
    public async Task<CommandResult> RunAsync(CommandSpec spec, Func<OutputChunk, ValueTask>? onOutput = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var argv = BuildCommand(spec);
        ValidateEnvironment(spec.Environment, nameof(spec));
        var workingDirectory = ResolveWorkingDirectory(spec.WorkingDirectory);

        var timeout = spec.Timeout ?? _options.Limits.CommandTimeout;
        if (_options.Limits.SessionWallClock is { } budget)
        {
            var left = budget - Stopwatch.GetElapsedTime(_createdAt);
            if (left <= TimeSpan.Zero)
            {
                return new CommandResult
                {
                    TimedOut = true,
                    LimitHit = SandboxLimit.WallClock,
                    Stderr = "warden-sandbox: the session's wall-clock budget is spent; no more commands run in it.",
                };
            }

            timeout = timeout < left ? timeout : left;
        }

        var maxTimer = TimeSpan.FromMilliseconds(int.MaxValue - 1);
        timeout = timeout <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : timeout > maxTimer ? maxTimer : timeout;
        var number = Interlocked.Increment(ref _commandCounter);
        using var commandCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        using var timeoutCancel = new CancellationTokenSource(timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(commandCancel.Token, timeoutCancel.Token);
        _running[number] = stop;
        SandboxCgroup? commandCgroup = null;
        string? optionsFile = null;
        var started = Stopwatch.GetTimestamp();
        try
        {
            commandCgroup = _cgroup?.CreateChild("c" + number.ToString(CultureInfo.InvariantCulture));
            var before = _cgroup?.ReadCounters() ?? default;
            var startInfo = BuildLaunch(spec, argv, workingDirectory, commandCgroup, number, out optionsFile);
            using var process = await ProcessSpawner.StartAsync(startInfo).ConfigureAwait(false);

            var stdout = new OutputCapture(_options.OutputHeadBytes, _options.OutputTailBytes);
            var stderr = new OutputCapture(_options.OutputHeadBytes, _options.OutputTailBytes);
            var output = new OutputSink(onOutput, stop);
            var outTask = output.PumpAsync(process.StandardOutput.BaseStream, OutputStreamKind.Stdout, stdout);
            var errTask = output.PumpAsync(process.StandardError.BaseStream, OutputStreamKind.Stderr, stderr);
            var inTask = WriteStdinAsync(process.StandardInput, spec.StdinText);

            var killed = false;
            try
            {
                await process.WaitForExitAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                killed = true;
                KillProcessTree(process);
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }

            // Whatever the command left behind dies with it. Under bubblewrap its PID namespace is already gone;
            // the cgroup kill also covers the insecure mode and anything that got out of the namespace's reach.
            if (commandCgroup is not null)
            {
                await commandCgroup.KillAllAsync(CancellationToken.None).ConfigureAwait(false);
            }

            var pumps = Task.WhenAll(outTask, errTask, inTask);
            if (commandCgroup is null && _runtime.Options.Mode == SandboxMode.InsecureNoSandbox)
            {
                // Without a cgroup, a daemon the command started may hold the pipes open forever.
                await Task.WhenAny(pumps, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
            }
            else
            {
                await pumps.ConfigureAwait(false);
            }

            output.ThrowIfCallbackFailed();
            var duration = Stopwatch.GetElapsedTime(started);
            // The kernel counts a refused fork (v1) or an OOM kill in the cgroup of the process concerned, and
            // (v2, hierarchically) in the session's: look at both.
            var after = _cgroup?.ReadCounters() ?? default;
            var own = commandCgroup?.ReadCounters() ?? default;
            var timedOut = killed && timeoutCancel.IsCancellationRequested && !commandCancel.IsCancellationRequested;
            if (killed && !timedOut)
            {
                throw new OperationCanceledException(cancellationToken.IsCancellationRequested ? cancellationToken : _disposing.Token);
            }

            var exitCode = process.ExitCode;
            var limitHit = SandboxLimit.None;
            if (after.PidsMaxEvents > before.PidsMaxEvents || own.PidsMaxEvents > 0)
            {
                limitHit |= SandboxLimit.Processes;
            }

            if (after.OomKills > before.OomKills || own.OomKills > 0)
            {
                limitHit |= SandboxLimit.Memory;
            }

            if (exitCode == 128 + 24)
            {
                limitHit |= SandboxLimit.CpuTime;
            }

            if (exitCode == 128 + 25)
            {
                limitHit |= SandboxLimit.FileSize;
            }

            if (timedOut)
            {
                limitHit |= SandboxLimit.WallClock;
            }

            var result = new CommandResult
            {
                ExitCode = exitCode,
                Signal = exitCode is > 128 and < 128 + 65 ? exitCode - 128 : null,
                TimedOut = timedOut,
                LimitHit = limitHit,
                Duration = duration,
                Stdout = stdout.ToText(),
                Stderr = stderr.ToText(),
                StdoutOmittedBytes = stdout.OmittedBytes,
                StderrOmittedBytes = stderr.OmittedBytes,
            };
            Log.CommandEnded(_logger, SessionId, number, exitCode, timedOut, limitHit, (long)duration.TotalMilliseconds);
            return result;
        }
        finally
        {
            _running.TryRemove(number, out _);
            if (optionsFile is not null)
            {
                TryDeleteFile(optionsFile);
            }

            if (commandCgroup is not null)
            {
                try
                {
                    await commandCgroup.KillAllAsync(CancellationToken.None).ConfigureAwait(false);
                    commandCgroup.Remove();
                }
                catch (Exception e) when (e is IOException or SandboxRuntimeException or UnauthorizedAccessException)
                {
                    Log.CleanupFailed(_logger, e, SessionId, "command cgroup");
                }
            }
        }
    }

    /// <summary>
    /// Kills every process of the session, stops its egress proxy, removes its cgroup, home, /tmp and launcher files,
    /// and the empty <c>.git</c> placeholder it made. Safe to call more than once.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);

        // Running commands see the cancellation, kill their process trees and return; wait for them so their
        // cleanup does not race with the removal below.
        var deadline = Stopwatch.StartNew();
        while (!_running.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        if (_egress is not null)
        {
            await _egress.DisposeAsync().ConfigureAwait(false);
        }

        if (_cgroup is not null)
        {
            try
            {
                await _cgroup.KillAllAsync(CancellationToken.None).ConfigureAwait(false);
                if (!_cgroup.Remove())
                {
                    Log.CleanupFailed(_logger, new IOException("cgroup folder busy"), SessionId, "session cgroup");
                }
            }
            catch (Exception e) when (e is IOException or SandboxRuntimeException or UnauthorizedAccessException)
            {
                Log.CleanupFailed(_logger, e, SessionId, "session cgroup");
            }
        }

        if (_createdGitPlaceholder)
        {
            TryRemoveEmptyFolder(Path.Combine(WorkspaceDirectory, ".git"));
        }

        TryDeleteTree(_stateFolder);
        if (_running.IsEmpty)
        {
            // A command still running here (its output callback is blocked) keeps using the token; leave it to the GC.
            _disposing.Dispose();
        }

        Log.SessionDisposed(_logger, SessionId);
    }

    private static string ResolveWorkspace(string workspace, string stateDirectory)
    {
        if (!Path.IsPathFullyQualified(workspace))
        {
            throw new ArgumentException("The workspace must be an absolute path.", nameof(workspace));
        }

        var (real, exists) = WorkspacePaths.RealPath(Path.GetFullPath(workspace));
        if (!exists || !Directory.Exists(real))
        {
            throw new ArgumentException("The workspace folder does not exist.", nameof(workspace));
        }

        if (real == "/" || IsUnder(real, stateDirectory) || IsUnder(stateDirectory, real))
        {
            throw new ArgumentException("The workspace must be a folder of its own, apart from the sandbox state folder.", nameof(workspace));
        }

        return real;
    }

    private static bool IsUnder(string path, string folder) =>
        path == folder || path.StartsWith(folder.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>
    /// The sandbox binds the workspace's .git read-only, so it must be a real folder: when it is missing, an empty
    /// folder stands in (so the agent cannot create a repository whose hooks the worker would run).
    /// </summary>
    private static bool PrepareGitFolder(string workspace)
    {
        var git = Path.Combine(workspace, ".git");
        var info = new DirectoryInfo(git);
        if (info.LinkTarget is not null || File.Exists(git))
        {
            throw new SandboxRuntimeException("The workspace's .git is a file or a symbolic link (a linked worktree or submodule?); the sandbox needs a plain .git folder to bind read-only.");
        }

        if (info.Exists)
        {
            return false;
        }

        Directory.CreateDirectory(git);
        return true;
    }

    private static void WriteEtcFiles(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "passwd"), "root:x:0:0:root:/root:/usr/sbin/nologin\nagent:x:1000:1000:Warden agent:/home/agent:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        File.WriteAllText(Path.Combine(folder, "group"), "root:x:0:\nagent:x:1000:\nnogroup:x:65534:\n");
        File.WriteAllText(Path.Combine(folder, "hosts"), "127.0.0.1 localhost warden-sandbox\n::1 localhost ip6-localhost ip6-loopback\n");
        File.WriteAllText(Path.Combine(folder, "hostname"), "warden-sandbox\n");
    }

    private Dictionary<string, string> BuildEnvironment()
    {
        var insecure = _runtime.Options.Mode == SandboxMode.InsecureNoSandbox;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = SandboxCommandLine.SandboxPath,
            ["HOME"] = insecure ? Path.Combine(_stateFolder, "home") : SandboxCommandLine.SandboxHome,
            ["TMPDIR"] = insecure ? Path.Combine(_stateFolder, "tmp") : "/tmp",
            ["USER"] = "agent",
            ["LOGNAME"] = "agent",
            ["SHELL"] = _shell,
            ["LANG"] = "C.UTF-8",
            ["TERM"] = "dumb",
            ["WARDEN_SANDBOX"] = insecure ? "insecure" : "bubblewrap",
        };
        if (_egress is not null)
        {
            var proxy = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{SandboxCommandLine.ProxyPort}");
            foreach (var name in new[] { "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy" })
            {
                environment[name] = proxy;
            }

            environment["NO_PROXY"] = environment["no_proxy"] = "localhost,127.0.0.1,::1";
        }

        foreach (var (name, value) in _options.Environment ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }

    private List<string> BuildBubblewrapOptions()
    {
        var options = SandboxCommandLine.SystemBinds(_runtime.Options.ExtraReadOnlyPaths);
        var etc = Path.Combine(_stateFolder, "etc");
        foreach (var file in new[] { "passwd", "group", "hosts", "hostname" })
        {
            options.AddRange(["--ro-bind", Path.Combine(etc, file), "/etc/" + file]);
        }

        options.AddRange([
            "--proc", "/proc",
            "--dev", "/dev",
            "--bind", WorkspaceDirectory, SandboxWorkspacePath,
            "--ro-bind", Path.Combine(WorkspaceDirectory, ".git"), SandboxWorkspacePath + "/.git",
            "--bind", Path.Combine(_stateFolder, "home"), SandboxCommandLine.SandboxHome,
            "--bind", Path.Combine(_stateFolder, "tmp"), "/tmp",
        ]);
        if (_egress is not null)
        {
            options.AddRange(["--ro-bind", _egress.SocketPath, SandboxCommandLine.EgressSocket]);
            var socat = _runtime.Report.SocatPath!;
            if (!socat.StartsWith("/usr/", StringComparison.Ordinal))
            {
                options.AddRange(["--ro-bind", socat, socat]);
            }
        }

        options.AddRange([
            "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--uid", SandboxCommandLine.SandboxUid, "--gid", SandboxCommandLine.SandboxUid,
            "--hostname", "warden-sandbox",
            "--clearenv",
        ]);
        if (_runtime.DisableUserNamespaces)
        {
            options.Add("--disable-userns");
        }

        // /proc shows global kernel knobs (/proc/sys) that the sandbox user could write when the worker runs as root;
        // the root tmpfs stays read-only too, so only the workspace, home and /tmp are writable.
        options.AddRange(["--remount-ro", "/proc", "--remount-ro", "/"]);
        return options;
    }

    private List<string> BuildCommand(CommandSpec spec)
    {
        if ((spec.Command is null) == (spec.Arguments is null))
        {
            throw new ArgumentException("Set exactly one of Command and Arguments.", nameof(spec));
        }

        if (spec.Arguments is { Count: 0 })
        {
            throw new ArgumentException("Arguments must name a program.", nameof(spec));
        }

        var parts = spec.Command is not null ? [_shell, "-c", spec.Command] : spec.Arguments!.ToList();
        if (parts.Any(p => p.Contains('\0', StringComparison.Ordinal)) || parts.Sum(p => p.Length) > MaxCommandLength)
        {
            throw new ArgumentException("The command holds a NUL character or is longer than 100 KiB.", nameof(spec));
        }

        return parts;
    }

    private string ResolveWorkingDirectory(string? workingDirectory)
    {
        var paths = new WorkspacePaths(WorkspaceDirectory);
        var resolved = paths.ResolveForRead(workingDirectory);
        if (!resolved.Exists || !Directory.Exists(resolved.FullPath))
        {
            throw new ArgumentException($"The working directory '{workingDirectory}' is not a folder in the workspace.", nameof(workingDirectory));
        }

        return resolved.RelativePath;
    }

    private ProcessStartInfo BuildLaunch(CommandSpec spec, List<string> argv, string workingDirectory, SandboxCgroup? cgroup, long number, out string? optionsFile)
    {
        var insecure = _runtime.Options.Mode == SandboxMode.InsecureNoSandbox;
        var hostDirectory = workingDirectory == "." ? WorkspaceDirectory : Path.Combine(WorkspaceDirectory, workingDirectory);
        var startInfo = new ProcessStartInfo(_runtime.LauncherShell)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = insecure ? hostDirectory : _stateFolder,
        };
        startInfo.Environment.Clear();

        var environment = new Dictionary<string, string>(_environment, StringComparer.Ordinal);
        foreach (var (name, value) in spec.Environment ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        optionsFile = null;
        if (insecure)
        {
            foreach (var (name, value) in environment)
            {
                startInfo.Environment[name] = value;
            }
        }
        else
        {
            // The sandbox's environment and mounts go to bubblewrap through a private file on fd 3 (--args), so no
            // value shows on a command line that other host users could read in /proc.
            startInfo.Environment["PATH"] = SandboxCommandLine.LauncherPath;
            var options = new List<string>(_bubblewrapOptions);
            foreach (var (name, value) in environment)
            {
                options.AddRange(["--setenv", name, value]);
            }

            options.AddRange(["--chdir", workingDirectory == "." ? SandboxWorkspacePath : SandboxWorkspacePath + "/" + workingDirectory]);
            optionsFile = Path.Combine(_stateFolder, "launch", "c" + number.ToString(CultureInfo.InvariantCulture));
            using (var stream = new FileStream(optionsFile, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
            {
                var bytes = Encoding.UTF8.GetBytes(string.Concat(options.Select(o => o + "\0")));
                stream.Write(bytes);
            }
        }

        var arguments = startInfo.ArgumentList;
        arguments.Add("-c");
        arguments.Add(_runtime.LauncherShell == "/bin/sh" ? SandboxCommandLine.PosixLauncherScript : SandboxCommandLine.LauncherScript);
        arguments.Add("warden-launch");
        arguments.Add(optionsFile ?? "");
        var procs = cgroup?.ProcsFiles ?? [];
        arguments.Add(procs.Count.ToString(CultureInfo.InvariantCulture));
        foreach (var file in procs)
        {
            arguments.Add(file);
        }

        if (_runtime.Report.PrlimitPath is { } prlimit && (_options.Limits.CpuTime is not null || _options.Limits.FileSizeBytes is not null))
        {
            arguments.Add(prlimit);
            arguments.Add("--core=0");
            if (_options.Limits.CpuTime is { } cpu)
            {
                var seconds = (long)Math.Max(1, Math.Ceiling(cpu.TotalSeconds));
                arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--cpu={seconds}:{seconds + 1}"));
            }

            if (_options.Limits.FileSizeBytes is { } size)
            {
                arguments.Add(string.Create(CultureInfo.InvariantCulture, $"--fsize={size}:{size}"));
            }

            arguments.Add("--");
        }

        if (!insecure)
        {
            arguments.Add(_runtime.Report.BubblewrapPath!);
            arguments.Add("--args");
            arguments.Add("3");
            arguments.Add("--");
            if (_egress is not null)
            {
                arguments.Add("/bin/sh");
                arguments.Add("-c");
                arguments.Add(SandboxCommandLine.EgressInitScript);
                arguments.Add("warden-egress-init");
                arguments.Add(_runtime.Report.SocatPath!);
            }
        }

        foreach (var part in argv)
        {
            arguments.Add(part);
        }

        return startInfo;
    }

    private static async Task WriteStdinAsync(StreamWriter stdin, string? text)
    {
        try
        {
            if (!string.IsNullOrEmpty(text))
            {
                await stdin.WriteAsync(text).ConfigureAwait(false);
                await stdin.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // The command exited or closed its stdin before reading everything.
        }
        finally
        {
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
                // Broken pipe on close: same as above.
            }
        }
    }

    private static void KillProcessTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited on its own meanwhile.
        }
    }

    private static void ValidateEnvironment(IReadOnlyDictionary<string, string>? environment, string parameter)
    {
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            if (!EnvironmentNamePattern().IsMatch(name) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{name}' is not a valid environment variable name, or its value holds a NUL character.", parameter);
            }
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Removed with the state folder at the latest.
        }
    }

    private static void TryDeleteTree(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                // Directory.Delete removes symbolic links it meets without following them.
                Directory.Delete(path, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A folder the sandbox made unreadable: make it ours again and retry once.
            foreach (var folder in Directory.EnumerateDirectories(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                TrySetMode(folder);
            }

            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                // Left behind in the private state folder; nothing in it is reachable from a sandbox.
            }
        }
    }

    private static void TrySetMode(string folder)
    {
        try
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort.
        }
    }

    private static void TryRemoveEmptyFolder(string path)
    {
        try
        {
            if (Directory.Exists(path) && !Directory.EnumerateFileSystemEntries(path).Any())
            {
                Directory.Delete(path);
            }
        }
        catch (IOException)
        {
            // Left as it is.
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")]
    private static partial Regex SessionIdPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentNamePattern();
}
