using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>
/// Prepares session workspaces with the git CLI, through a per-repository mirror cache: the first session of a
/// repository makes a bare mirror (<c>git clone --mirror</c>), later ones only fetch into it; each workspace is then a
/// local clone of the mirror with <c>origin</c> set back to the real remote. The session credential is used here,
/// by the worker process, and never reaches the workspace (see <see cref="GitRunner"/>).
/// </summary>
/// <remarks>
/// <para>Workspaces copy the mirror's objects (<c>--no-hardlinks</c>) rather than hard-linking or borrowing them: the
/// workspace is writable by the session, and a hard link or an alternates file would let one session corrupt the
/// mirror every later session is cloned from. Copying a few pack files locally is still far faster than a network clone.</para>
/// <para>Checking out every file is what takes the time (seconds for 10,000 files on a busy disk), so with spares
/// enabled the preparer keeps one <em>spare</em> workspace per repository, cloned from the mirror and checked out in
/// the background after a session of that repository is prepared or released. A session then claims it: the spare is
/// renamed into place, the refs the mirror just fetched are fetched into it from the mirror, and <c>checkout -B</c>
/// rewrites only the files that changed. A spare is only ever built fresh from the mirror and used once; a workspace a
/// session has used is never recycled. When there is no spare (none built yet, being built, taken by a concurrent
/// session) or the claim fails, the session takes the normal path. Spares hold no credential: they are built from the
/// local mirror, and their <c>origin</c> is the credential-free URL, as in a fresh workspace.</para>
/// </remarks>
public sealed partial class WorkspacePreparer : IAsyncDisposable
{
    // Git's automatic maintenance (gc --auto, maintenance run --auto) starts in the background after a fetch and
    // writes and removes files such as objects/maintenance.lock in the mirror while workspaces and spares are being
    // copied from it, which makes such a copy fail. It is off in every mirror; the mirror is packed here instead, under
    // its lock, and only while nothing is being cloned or fetched from it.
    private static readonly string[] NoAutoMaintenance = ["-c", "maintenance.auto=false", "-c", "gc.auto=0"];
    private const int UpdatesPerMaintenance = 50;
    private static readonly ConcurrentDictionary<string, MirrorState> Mirrors = new(StringComparer.Ordinal);
    private readonly string _workspaces;
    private readonly string _mirrors;
    private readonly string _spareRoot;
    private readonly int _spareRepositories;
    private readonly Lock _spareLock = new();
    private readonly Dictionary<string, SpareSlot> _spares = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _lastUsed = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _sessionRepositories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _builds = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger;
    private volatile bool _disposed;

    /// <summary>
    /// Creates a preparer keeping mirrors and workspaces under <paramref name="dataDirectory"/>, with spare workspaces
    /// for up to <paramref name="spareRepositories"/> repositories (0: none; each spare takes a checkout's disk space).
    /// </summary>
    public WorkspacePreparer(string dataDirectory, string gitExecutable = "git", int spareRepositories = 0, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spareRepositories);
        _logger = logger ?? NullLogger.Instance;
        var root = Path.GetFullPath(dataDirectory);
        _workspaces = Path.Combine(root, "workspaces");
        _mirrors = Path.Combine(root, "mirrors");
        _spareRoot = Path.Combine(root, "spares");
        _spareRepositories = spareRepositories;
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(_workspaces);
        Directory.CreateDirectory(_mirrors);
        Directory.CreateDirectory(bin);
        // Spares left by a worker that stopped without cleaning up are of unknown state: never claimed, removed here.
        TryDelete(_spareRoot);
        Directory.CreateDirectory(_spareRoot);
        var askPass = Path.Combine(bin, "git-askpass.sh");
        if (!File.Exists(askPass) || File.ReadAllText(askPass) != GitRunner.AskPassScriptText)
        {
            File.WriteAllText(askPass, GitRunner.AskPassScriptText);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(askPass, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Git = new GitRunner(gitExecutable, askPass);
    }

    /// <summary>The git runner (for callers that need more git, such as pushing a session's branch later).</summary>
    public GitRunner Git { get; }

    /// <summary>Where a session's workspace lives.</summary>
    public string WorkspacePath(string sessionId) => Path.Combine(_workspaces, RequireSafeName(sessionId));

    /// <summary>Where the mirror of <paramref name="repository"/> lives: named by a hash of the URL, so no URL text reaches the file system.</summary>
    public string MirrorPath(string repository) =>
        Path.Combine(_mirrors, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(repository.TrimEnd('/'))))[..32] + ".git");

    /// <summary>The most repositories that have a spare workspace at once (0: spares are off).</summary>
    public int SpareRepositories => _spareRepositories;

    /// <summary>The folders of the spare workspaces ready to be claimed now (for tests and diagnostics).</summary>
    public IReadOnlyList<string> ReadySpares()
    {
        lock (_spareLock)
        {
            return _spares.Values.Where(s => s.Ready).Select(s => s.Path).ToList();
        }
    }

    /// <summary>
    /// Prepares the workspace of <paramref name="sessionId"/>: an empty folder without a repository, otherwise a clone of
    /// <paramref name="repository"/> at <paramref name="baseRef"/> on a new branch <c>warden/&lt;session&gt;</c>.
    /// </summary>
    public async Task<PreparedWorkspace> PrepareAsync(string sessionId, string? repository, string? baseRef, SessionCredential? credential, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var workspace = WorkspacePath(sessionId);
        if (Directory.Exists(workspace))
        {
            Directory.Delete(workspace, recursive: true);
        }

        if (repository is null)
        {
            Directory.CreateDirectory(workspace);
            return new PreparedWorkspace(workspace, null, false, watch.Elapsed);
        }

        RequireCleanUrl(repository);
        if (baseRef is not null && (baseRef.StartsWith('-') || baseRef.Any(char.IsControl) || baseRef.Contains("..", StringComparison.Ordinal)))
        {
            throw new WorkspaceException($"'{baseRef}' is not a valid base ref.");
        }

        var mirror = MirrorPath(repository);
        var state = Mirrors.GetOrAdd(mirror, _ => new MirrorState());
        var fromMirror = await UpdateMirrorAsync(repository, mirror, state, credential, cancellationToken).ConfigureAwait(false);
        _lastUsed[mirror] = Stopwatch.GetTimestamp();
        _sessionRepositories[sessionId] = repository;
        PreparedWorkspace prepared;
        string? claimed = null;
        try
        {
            if (fromMirror && TakeSpare(mirror) is { } spare)
            {
                claimed = await ClaimSpareAsync(spare, mirror, workspace, sessionId, baseRef, cancellationToken).ConfigureAwait(false);
            }

            if (claimed is null)
            {
                await Git.RequireAsync("Cloning the workspace from the mirror", ["clone", "--quiet", "--no-hardlinks", "--no-checkout", "--", mirror, workspace], null, null, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            TryDelete(workspace);
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref state.Cloning);
        }

        if (claimed is not null)
        {
            prepared = new PreparedWorkspace(workspace, claimed, fromMirror, watch.Elapsed, FromSpare: true);
        }
        else
        {
            try
            {
                await Git.RequireAsync("Setting the workspace's origin", ["remote", "set-url", "origin", repository], workspace, null, cancellationToken).ConfigureAwait(false);
                var commit = await ResolveAsync(workspace, baseRef, ["HEAD"], cancellationToken).ConfigureAwait(false);
                await Git.RequireAsync("Checking out the base", ["checkout", "--quiet", "-B", "warden/" + sessionId, commit], workspace, null, cancellationToken).ConfigureAwait(false);
                prepared = new PreparedWorkspace(workspace, commit, fromMirror, watch.Elapsed);
            }
            catch
            {
                TryDelete(workspace);
                throw;
            }
        }

        // The next session of this repository should find a spare; building one is off this session's path.
        ScheduleSpare(repository);
        return prepared;
    }

    /// <summary>
    /// Deletes a session's workspace (best effort: a file still held open is left for the next cleanup). The workspace
    /// is never reused; if its repository has no spare now (the build failed, or it was evicted), one is started.
    /// </summary>
    public void Release(string sessionId)
    {
        TryDelete(WorkspacePath(sessionId));
        if (_sessionRepositories.TryRemove(sessionId, out var repository))
        {
            ScheduleSpare(repository);
        }
    }

    /// <summary>
    /// Makes sure <paramref name="repository"/> has a spare workspace, building one from its mirror if needed, and
    /// returns whether one is ready (false when spares are off, the repository has no mirror yet, the cap on
    /// repositories with spares is taken by builds in progress, or the build failed). The work goes on when
    /// <paramref name="cancellationToken"/> only stops the wait.
    /// </summary>
    public Task<bool> PrepareSpareAsync(string repository, CancellationToken cancellationToken = default)
    {
        RequireCleanUrl(repository);
        var mirror = MirrorPath(repository);
        SpareSlot slot;
        SpareSlot? evicted = null;
        lock (_spareLock)
        {
            if (_spareRepositories == 0 || _disposed || !File.Exists(Path.Combine(mirror, "HEAD")))
            {
                return Task.FromResult(false);
            }

            if (_spares.TryGetValue(mirror, out var existing))
            {
                return existing.Build.WaitAsync(cancellationToken);
            }

            if (_spares.Count >= _spareRepositories)
            {
                // Bounded disk: the spare of the repository least recently prepared makes room; builds in progress stay.
                var victim = _spares.Where(kv => kv.Value.Ready).OrderBy(kv => _lastUsed.GetValueOrDefault(kv.Key)).Select(kv => kv.Key).FirstOrDefault();
                if (victim is null)
                {
                    return Task.FromResult(false);
                }

                evicted = _spares[victim];
                _spares.Remove(victim);
            }

            slot = new SpareSlot(Path.Combine(_spareRoot, Path.GetFileNameWithoutExtension(mirror) + "-" + Guid.NewGuid().ToString("N")[..8]),
                CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
            _spares[mirror] = slot;
            slot.Build = Task.Run(() => BuildSpareAsync(slot, mirror, repository), CancellationToken.None);
            Track(slot.Build);
        }

        evicted?.Discard();
        return slot.Build.WaitAsync(cancellationToken);
    }

    /// <summary>Removes the mirror of <paramref name="repository"/> and its spare (the next session clones it again).</summary>
    public async Task RemoveMirrorAsync(string repository, CancellationToken cancellationToken)
    {
        var mirror = MirrorPath(repository);
        await DiscardSpareAsync(mirror).ConfigureAwait(false);
        var state = Mirrors.GetOrAdd(mirror, _ => new MirrorState());
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // A spare started between the discard and the lock is built from a mirror about to vanish: discard it too.
            await DiscardSpareAsync(mirror).ConfigureAwait(false);
            TryDelete(mirror);
        }
        finally
        {
            state.Gate.Release();
        }
    }

    /// <summary>Stops spare builds and deletes every spare; preparation still works afterwards, without spares.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_spareLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var build in _builds.Keys.ToList())
        {
            await build.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        List<SpareSlot> left;
        lock (_spareLock)
        {
            left = [.. _spares.Values];
            _spares.Clear();
        }

        foreach (var slot in left)
        {
            slot.Discard();
        }

        TryDelete(_spareRoot);
    }

    private void ScheduleSpare(string repository)
    {
        if (_spareRepositories > 0 && !_disposed)
        {
            _ = PrepareSpareAsync(repository, CancellationToken.None);
        }
    }

    private void Track(Task task)
    {
        _builds[task] = 0;
        _ = task.ContinueWith(t => _builds.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Takes the ready spare of <paramref name="mirror"/>, if any: at most one session gets it.</summary>
    private SpareSlot? TakeSpare(string mirror)
    {
        lock (_spareLock)
        {
            if (_spares.TryGetValue(mirror, out var slot) && slot.Ready)
            {
                _spares.Remove(mirror);
                return slot;
            }

            return null;
        }
    }

    private async Task DiscardSpareAsync(string mirror)
    {
        SpareSlot? slot;
        lock (_spareLock)
        {
            if (_spares.Remove(mirror, out slot))
            {
                slot.Cancel.Cancel();
            }
        }

        if (slot is not null)
        {
            await ((Task)slot.Build).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            slot.Discard();
        }
    }

    /// <summary>
    /// Builds a spare: a clone of the mirror, checked out (the slow part), on a detached HEAD with no local branch (a
    /// claim makes the default branch from the refs fetched then, as a fresh clone would), origin set to the
    /// credential-free URL, and its index rewritten a second after checkout so that a claim does not re-read every file.
    /// </summary>
    private async Task<bool> BuildSpareAsync(SpareSlot slot, string mirror, string repository)
    {
        var cancellationToken = slot.Cancel.Token;
        try
        {
            // Counted as a clone under the mirror's lock, so the mirror is never packed while it is copied from.
            var state = Mirrors.GetOrAdd(mirror, _ => new MirrorState());
            await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref state.Cloning);
            state.Gate.Release();
            try
            {
                await Git.RequireAsync("Cloning a spare workspace", ["clone", "--quiet", "--no-hardlinks", "--", mirror, slot.Path], null, null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref state.Cloning);
            }

            var branch = ReadSymbolicHead(Path.Combine(slot.Path, ".git"));
            if (branch is null)
            {
                // An empty repository or a detached default: nothing a claim could reproduce exactly.
                throw new WorkspaceException("The mirror has no default branch to build a spare from.");
            }

            await Git.RequireAsync("Setting the spare's origin", ["remote", "set-url", "origin", repository], slot.Path, null, cancellationToken).ConfigureAwait(false);
            await Git.RequireAsync("Detaching the spare's HEAD", ["checkout", "--quiet", "--detach"], slot.Path, null, cancellationToken).ConfigureAwait(false);
            await Git.RequireAsync("Removing the spare's local branch", ["branch", "--quiet", "-D", branch], slot.Path, null, cancellationToken).ConfigureAwait(false);

            // Racy git: an index written in the same second as (or, with nanosecond stamps, before) the files it
            // describes cannot vouch for them, so git would re-read all of them at the claim's checkout. Rewriting it once
            // the clock has passed the second of the checkout makes every entry trustworthy. File times come from the
            // real clock, so this waits on the real clock (never a test's fake one).
            var written = File.GetLastWriteTimeUtc(Path.Combine(slot.Path, ".git", "index"));
            var due = new DateTime(written.Ticks - written.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc).AddSeconds(1).AddMilliseconds(20);
            var wait = due - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
            }

            await Git.RequireAsync("Refreshing the spare's index", ["update-index", "-q", "--really-refresh"], slot.Path, null, cancellationToken).ConfigureAwait(false);
            lock (_spareLock)
            {
                if (_spares.TryGetValue(mirror, out var current) && current == slot && !_disposed)
                {
                    slot.DefaultBranch = branch;
                    slot.Ready = true;
                    return true;
                }
            }

            // Discarded while it was being built.
            slot.Discard();
            return false;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A spare is an optimisation: whatever went wrong, sessions take the normal path and a later one tries again.
            if (e is not OperationCanceledException)
            {
                LogSpareFailed(_logger, Path.GetFileName(mirror), e.Message);
            }

            lock (_spareLock)
            {
                if (_spares.TryGetValue(mirror, out var current) && current == slot)
                {
                    _spares.Remove(mirror);
                }
            }

            slot.Discard();
            return false;
        }
    }

    /// <summary>
    /// Claims <paramref name="spare"/> as <paramref name="workspace"/>: renamed into place, the mirror's branches and
    /// tags fetched into it (pruning what the mirror no longer has), the base checked out on the session branch, and
    /// the default branch made from the fetched refs. Returns the commit, or null when the spare cannot be used (it is
    /// then deleted, and the caller takes the normal path). A base ref that does not exist fails as it would on the
    /// normal path (the spare holds the same refs as the mirror).
    /// </summary>
    private async Task<string?> ClaimSpareAsync(SpareSlot spare, string mirror, string workspace, string sessionId, string? baseRef, CancellationToken cancellationToken)
    {
        if (spare.DefaultBranch is not { } branch || ReadSymbolicHead(mirror) != branch)
        {
            // The repository's default branch changed since the spare was built: a fresh clone would name another branch.
            LogClaimFailed(_logger, Path.GetFileName(mirror), "the default branch changed");
            spare.Discard();
            return null;
        }

        try
        {
            Directory.Move(spare.Path, workspace);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            LogClaimFailed(_logger, Path.GetFileName(mirror), e.Message);
            spare.Discard();
            return null;
        }

        if (!File.Exists(Path.Combine(workspace, ".git", "HEAD")))
        {
            // Not a repository any more; git run inside it would look for one in the folders above.
            LogClaimFailed(_logger, Path.GetFileName(mirror), "it is not a git repository");
            TryDelete(workspace);
            return null;
        }

        try
        {
            var fetch = await InSpareAsync(workspace, ["fetch", "--quiet", "--prune", "--no-write-fetch-head", "--no-auto-maintenance", "--", mirror,
                "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], cancellationToken).ConfigureAwait(false);
            if (fetch.ExitCode != 0)
            {
                LogClaimFailed(_logger, Path.GetFileName(mirror), WorkspaceGit.Failure("fetching from the mirror", fetch).Message);
                TryDelete(workspace);
                return null;
            }

            // HEAD is detached at the commit the spare was built from, so the default branch is named, not HEAD.
            var commit = await ResolveAsync(workspace, baseRef, ["refs/remotes/origin/" + branch], cancellationToken).ConfigureAwait(false);
            var checkout = await InSpareAsync(workspace, ["checkout", "--quiet", "-B", "warden/" + sessionId, commit], cancellationToken).ConfigureAwait(false);
            var local = checkout.ExitCode == 0
                ? await InSpareAsync(workspace, ["branch", "--quiet", "--track", branch, "refs/remotes/origin/" + branch], cancellationToken).ConfigureAwait(false)
                : checkout;
            if (local.ExitCode != 0)
            {
                LogClaimFailed(_logger, Path.GetFileName(mirror), WorkspaceGit.Failure("checking out", local).Message);
                TryDelete(workspace);
                return null;
            }

            return commit;
        }
        catch
        {
            TryDelete(workspace);
            throw;
        }
    }

    /// <summary>git on a claimed spare with its repository named, so that git never goes looking for another one above it.</summary>
    private Task<GitResult> InSpareAsync(string workspace, IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        Git.RunAsync(new GitInvocation(arguments)
        {
            WorkingDirectory = workspace,
            Environment = new Dictionary<string, string?>(StringComparer.Ordinal) { ["GIT_DIR"] = Path.Combine(workspace, ".git"), ["GIT_WORK_TREE"] = workspace },
        }, cancellationToken);

    /// <summary>The branch a repository's HEAD names (<c>ref: refs/heads/main</c> gives <c>main</c>), or null when it is detached or unreadable.</summary>
    private static string? ReadSymbolicHead(string gitDirectory)
    {
        try
        {
            var head = File.ReadAllText(Path.Combine(gitDirectory, "HEAD")).Trim();
            const string Prefix = "ref: refs/heads/";
            return head.StartsWith(Prefix, StringComparison.Ordinal) && head.Length > Prefix.Length ? head[Prefix.Length..] : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }


    /// <summary>
    /// Brings the mirror up to date (or makes it) and counts the caller as cloning from it; the caller decrements
    /// <see cref="MirrorState.Cloning"/> when its clone is done.
    /// </summary>
    private async Task<bool> UpdateMirrorAsync(string repository, string mirror, MirrorState state, SessionCredential? credential, CancellationToken cancellationToken)
    {
        await state.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fromMirror = await FetchOrCloneMirrorAsync(repository, mirror, state, credential, cancellationToken).ConfigureAwait(false);
            // Counted before the lock is released, so maintenance (which runs under the lock) never overlaps a clone.
            Interlocked.Increment(ref state.Cloning);
            return fromMirror;
        }
        finally
        {
            state.Gate.Release();
        }
    }

    private async Task<bool> FetchOrCloneMirrorAsync(string repository, string mirror, MirrorState state, SessionCredential? credential, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(mirror, "HEAD")))
        {
            // -c as well as the mirror's own config: mirrors made before maintenance was turned off.
            await Git.RequireAsync("Fetching into the mirror cache", [.. NoAutoMaintenance, "remote", "update", "--prune"], mirror, credential, cancellationToken).ConfigureAwait(false);
            if (++state.UpdatesSinceMaintenance >= UpdatesPerMaintenance && Volatile.Read(ref state.Cloning) == 0)
            {
                state.UpdatesSinceMaintenance = 0;
                // In the foreground, with git's usual thresholds: usually a quick "nothing to do". A failure only
                // leaves the mirror unpacked a while longer.
                await Git.RunAsync(["-c", "maintenance.auto=false", "-c", "gc.auto=6700", "-c", "gc.autoDetach=false", "gc", "--auto", "--quiet"], mirror, null, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        // Clone beside the final path and rename, so a clone cut short is never mistaken for a cached mirror.
        var partial = mirror + ".partial-" + Guid.NewGuid().ToString("N")[..8];
        try
        {
            await Git.RequireAsync("Cloning the repository", ["clone", "--quiet", "--mirror", "--config", "maintenance.auto=false", "--config", "gc.auto=0", "--", repository, partial],
                null, credential, cancellationToken).ConfigureAwait(false);
            Directory.Move(partial, mirror);
        }
        finally
        {
            TryDelete(partial);
        }

        return false;
    }

    /// <summary>The commit of <paramref name="baseRef"/>, or of the first of <paramref name="headRefs"/> when it is null.</summary>
    private async Task<string> ResolveAsync(string workspace, string? baseRef, string[] headRefs, CancellationToken cancellationToken)
    {
        string[] candidates = baseRef is null ? headRefs : [$"refs/remotes/origin/{baseRef}", $"refs/tags/{baseRef}", baseRef];
        foreach (var candidate in candidates)
        {
            var result = await Git.RunAsync(["rev-parse", "--verify", "--quiet", candidate + "^{commit}"], workspace, null, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode == 0)
            {
                return result.StandardOutput.Trim();
            }
        }

        throw new WorkspaceException(baseRef is null ? "The repository has no default branch to start from." : $"The base ref '{baseRef}' was not found in the repository.");
    }

    private static void RequireCleanUrl(string repository)
    {
        if (!Uri.TryCreate(repository, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "file" or "ssh"))
        {
            throw new WorkspaceException("The repository must be an https, http, ssh or file URL.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) && uri.Scheme != "ssh")
        {
            // Credentials in a URL end up in .git/config and in process listings; they travel in SessionCredential instead.
            throw new WorkspaceException("The repository URL must not contain credentials; the session credential is passed separately.");
        }
    }

    private static string RequireSafeName(string sessionId)
    {
        if (!SafeName().IsMatch(sessionId))
        {
            throw new WorkspaceException("A session id may hold only letters, digits, '_' and '-' (1-100 characters).");
        }

        return sessionId;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                // Git makes object files read-only; deleting them needs no write permission on the file, only the folder.
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Left for the next cleanup.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the next cleanup.
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeName();

    [LoggerMessage(Level = LogLevel.Warning, Message = "A spare workspace for mirror {Mirror} could not be built (sessions take the normal path): {Reason}")]
    private static partial void LogSpareFailed(ILogger logger, string mirror, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The spare workspace for mirror {Mirror} could not be claimed ({Reason}); preparing the workspace the normal way")]
    private static partial void LogClaimFailed(ILogger logger, string mirror, string reason);

    /// <summary>One repository's spare: being built, then ready until a session claims it or it is discarded.</summary>
    private sealed class SpareSlot(string path, CancellationTokenSource cancel)
    {
        public string Path { get; } = path;

        public CancellationTokenSource Cancel { get; } = cancel;

        public Task<bool> Build { get; set; } = Task.FromResult(false);

        /// <summary>The branch the mirror's HEAD named when the spare was cloned.</summary>
        public string? DefaultBranch { get; set; }

        public bool Ready { get; set; }

        public void Discard() => TryDelete(Path);
    }

    /// <summary>One mirror's lock and what runs against it.</summary>
    private sealed class MirrorState
    {
        /// <summary>Held while the mirror is fetched into, made or packed.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);

        /// <summary>Workspaces being cloned from the mirror now.</summary>
        public int Cloning;

        /// <summary>Fetches since the mirror was last packed (changed under <see cref="Gate"/> only).</summary>
        public int UpdatesSinceMaintenance;
    }
}
