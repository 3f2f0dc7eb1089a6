using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>
/// Prepares session workspaces with the git CLI, through a per-repository mirror cache: the first session of a
/// repository makes a bare mirror (<c>git clone --mirror</c>), later ones only fetch into it; each workspace is then a
/// local clone of the mirror with <c>origin</c> set back to the real remote. The session credential is used here,
/// by the worker process, and never reaches the workspace (see <see cref="GitRunner"/>).
/// </summary>
/// <remarks>
/// Workspaces copy the mirror's objects (<c>--no-hardlinks</c>) rather than hard-linking or borrowing them: the
/// workspace is writable by the session, and a hard link or an alternates file would let one session corrupt the
/// mirror every later session is cloned from. Copying a few pack files locally is still far faster than a network clone.
/// </remarks>
public sealed partial class WorkspacePreparer
{
    // Git's automatic maintenance (gc --auto, maintenance run --auto) starts in the background after a fetch and
    // writes and removes files such as objects/maintenance.lock in the mirror while workspaces are being copied from
    // it, which makes such a copy fail. It is off in every mirror; the mirror is packed here instead, under its lock,
    // and only while no workspace is being cloned from it.
    private static readonly string[] NoAutoMaintenance = ["-c", "maintenance.auto=false", "-c", "gc.auto=0"];
    private const int UpdatesPerMaintenance = 50;
    private static readonly ConcurrentDictionary<string, MirrorState> Mirrors = new(StringComparer.Ordinal);
    private readonly string _workspaces;
    private readonly string _mirrors;

    /// <summary>Creates a preparer keeping mirrors and workspaces under <paramref name="dataDirectory"/>.</summary>
    public WorkspacePreparer(string dataDirectory, string gitExecutable = "git")
    {
        var root = Path.GetFullPath(dataDirectory);
        _workspaces = Path.Combine(root, "workspaces");
        _mirrors = Path.Combine(root, "mirrors");
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(_workspaces);
        Directory.CreateDirectory(_mirrors);
        Directory.CreateDirectory(bin);
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
        try
        {
            try
            {
                await Git.RequireAsync("Cloning the workspace from the mirror", ["clone", "--quiet", "--no-hardlinks", "--no-checkout", "--", mirror, workspace], null, null, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref state.Cloning);
            }

            await Git.RequireAsync("Setting the workspace's origin", ["remote", "set-url", "origin", repository], workspace, null, cancellationToken).ConfigureAwait(false);
            var commit = await ResolveAsync(workspace, baseRef, cancellationToken).ConfigureAwait(false);
            await Git.RequireAsync("Checking out the base", ["checkout", "--quiet", "-B", "warden/" + sessionId, commit], workspace, null, cancellationToken).ConfigureAwait(false);
            return new PreparedWorkspace(workspace, commit, fromMirror, watch.Elapsed);
        }
        catch
        {
            TryDelete(workspace);
            throw;
        }
    }

    /// <summary>Deletes a session's workspace (best effort: a file still held open is left for the next cleanup).</summary>
    public void Release(string sessionId) => TryDelete(WorkspacePath(sessionId));

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

    private async Task<string> ResolveAsync(string workspace, string? baseRef, CancellationToken cancellationToken)
    {
        string[] candidates = baseRef is null ? ["HEAD"] : [$"refs/remotes/origin/{baseRef}", $"refs/tags/{baseRef}", baseRef];
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
