using Microsoft.Win32.SafeHandles;

namespace Warden.Sandbox.Tools;

/// <summary>
/// Confines paths to a workspace. A path is taken relative to the workspace root (or absolute under the root, or under
/// <c>/workspace</c> as the sandbox shows it), normalised lexically (a <c>..</c> that climbs above the root is
/// refused), then resolved physically like realpath(3): every symbolic link on the way is followed and the final
/// location must still be inside the workspace.
/// </summary>
internal sealed class WorkspacePaths
{
    private const int MaxLinkHops = 40;

    /// <summary>Creates a resolver for a workspace root, which must be an absolute, already resolved folder path.</summary>
    public WorkspacePaths(string root)
    {
        Root = root.Length > 1 ? root.TrimEnd('/') : root;
    }

    /// <summary>The workspace root on the host.</summary>
    public string Root { get; }

    /// <summary>Resolves a path for reading: symbolic links inside the workspace are followed.</summary>
    public ResolvedPath ResolveForRead(string? path) => Resolve(path, write: false);

    /// <summary>
    /// Resolves a path for writing: the final component must not be a symbolic link, and nothing under the
    /// workspace's <c>.git</c> folder may be written (the worker's own git commands would run what is planted there).
    /// </summary>
    public ResolvedPath ResolveForWrite(string? path) => Resolve(path, write: true);

    /// <summary>The workspace-relative form of a host path under the root.</summary>
    public string ToRelative(string fullPath) =>
        fullPath == Root ? "." : fullPath[(Root.Length + 1)..];

    private ResolvedPath Resolve(string? path, bool write)
    {
        var relative = Normalize(path);
        var lexical = relative.Length == 0 ? Root : Root + "/" + relative;

        if (write)
        {
            if (relative.Length == 0)
            {
                throw new WorkspaceToolException(WorkspaceToolError.WrongKind, "The workspace root itself cannot be written; name a file inside it.");
            }

            var info = new FileInfo(lexical);
            if (info.LinkTarget is not null)
            {
                throw new WorkspaceToolException(WorkspaceToolError.WriteRefused, $"'{relative}' is a symbolic link; writing through links is refused. Write the target path instead.");
            }
        }

        var (real, exists) = RealPath(lexical);
        if (real != Root && !real.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, $"'{relative}' resolves outside the workspace (through a symbolic link); it cannot be used.");
        }

        var realRelative = ToRelative(real);
        if (write && IsGitPath(realRelative))
        {
            throw new WorkspaceToolException(WorkspaceToolError.WriteRefused, $"'{relative}' is inside the repository's .git folder, which tools may not change.");
        }

        return new ResolvedPath(real, realRelative, exists);
    }

    /// <summary>True for the workspace's .git folder and anything below it (case-insensitively, for case-insensitive filesystems).</summary>
    public static bool IsGitPath(string relative) =>
        relative.Equals(".git", StringComparison.OrdinalIgnoreCase) || relative.StartsWith(".git/", StringComparison.OrdinalIgnoreCase);

    /// <summary>Turns the caller's path into a normalised workspace-relative path ("" for the root).</summary>
    public string Normalize(string? path)
    {
        path ??= "";
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "The path contains a NUL character.");
        }

        if (path.StartsWith('/'))
        {
            if (path == SandboxSession.SandboxWorkspacePath || path.StartsWith(SandboxSession.SandboxWorkspacePath + "/", StringComparison.Ordinal))
            {
                path = path[SandboxSession.SandboxWorkspacePath.Length..];
            }
            else if (path == Root || path.StartsWith(Root + "/", StringComparison.Ordinal))
            {
                path = path[Root.Length..];
            }
            else
            {
                throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, $"'{path}' is outside the workspace; use a path relative to the workspace root.");
            }
        }

        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, $"'{path}' climbs above the workspace root with '..'.");
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return string.Join('/', parts);
    }

    /// <summary>
    /// realpath(3) without requiring the whole path to exist: components are resolved one by one from "/"; once one
    /// is missing the rest is appended as written.
    /// </summary>
    internal static (string Path, bool Exists) RealPath(string absolute)
    {
        var pending = new Stack<string>(absolute.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var candidate = "/" + string.Join('/', resolved.Append(part));
            var info = new FileInfo(candidate);
            var target = info.LinkTarget;
            if (target is not null)
            {
                if (++hops > MaxLinkHops)
                {
                    throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, "Too many levels of symbolic links.");
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                foreach (var t in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(t);
                }

                continue;
            }

            if (!info.Exists && !Directory.Exists(candidate))
            {
                resolved.Add(part);
                foreach (var rest in pending)
                {
                    if (rest == "..")
                    {
                        // ".." after a missing component cannot be resolved physically; refuse rather than guess.
                        throw new WorkspaceToolException(WorkspaceToolError.NotFound, "A folder on the path does not exist.");
                    }

                    if (rest != ".")
                    {
                        resolved.Add(rest);
                    }
                }

                return ("/" + string.Join('/', resolved), false);
            }

            resolved.Add(part);
        }

        return ("/" + string.Join('/', resolved), true);
    }

    /// <summary>
    /// Checks, after opening, that the handle refers to the file that was resolved: a link swapped in between the
    /// check and the open would show up here as a different path.
    /// </summary>
    internal void VerifyOpened(SafeFileHandle handle, ResolvedPath expected)
    {
        string? actual;
        try
        {
            actual = new FileInfo("/proc/self/fd/" + handle.DangerousGetHandle()).LinkTarget;
        }
        catch (IOException)
        {
            actual = null;
        }

        if (actual != expected.FullPath)
        {
            handle.Dispose();
            throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, $"'{expected.RelativePath}' changed while it was being opened (a symbolic link was swapped in); refused.");
        }
    }
}
