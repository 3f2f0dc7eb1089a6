using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace Warden.Sandbox.Tools;

/// <summary>
/// File tools the worker runs on a session's workspace, outside the sandbox (as the worker's user), for the agent.
/// Every path is confined to the workspace: absolute paths elsewhere, <c>..</c> above the root and symbolic links
/// that lead out are refused; writes never go through a symbolic link nor into <c>.git</c>; files are opened and
/// then checked (through /proc/self/fd) to be the file that was resolved, so a link swapped in meanwhile is caught.
/// Failures throw <see cref="WorkspaceToolException"/> with a message meant for the model.
/// Git status and diff run inside the sandbox, because the repository's configuration is the agent's.
/// </summary>
public sealed class WorkspaceTools
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly WorkspacePaths _paths;
    private readonly WorkspaceToolsOptions _options;
    private readonly ISandboxCommandRunner? _runner;

    /// <summary>Creates the tools for a workspace folder; git tools need <paramref name="runner"/> (the session's sandbox).</summary>
    public WorkspaceTools(string workspaceDirectory, WorkspaceToolsOptions? options = null, ISandboxCommandRunner? runner = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(workspaceDirectory);
        var (root, exists) = WorkspacePaths.RealPath(Path.GetFullPath(workspaceDirectory));
        if (!exists || !Directory.Exists(root))
        {
            throw new ArgumentException("The workspace folder does not exist.", nameof(workspaceDirectory));
        }

        _paths = new WorkspacePaths(root);
        _options = options ?? new WorkspaceToolsOptions();
        _runner = runner;
    }

    /// <summary>Creates the tools for a session's workspace, git tools included.</summary>
    public static WorkspaceTools ForSession(SandboxSession session, WorkspaceToolsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new WorkspaceTools(session.WorkspaceDirectory, options, session);
    }

    /// <summary>
    /// Reads a text file, optionally a line range (1-based, inclusive; <paramref name="lineCount"/> null for the rest).
    /// At most <see cref="WorkspaceToolsOptions.MaxReadBytes"/> bytes of content come back; a binary file returns
    /// no content and <see cref="ReadFileResult.IsBinary"/>.
    /// </summary>
    public async Task<ReadFileResult> ReadFileAsync(string path, int startLine = 1, int? lineCount = null, CancellationToken cancellationToken = default)
    {
        if (startLine < 1 || lineCount is < 0)
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "startLine must be 1 or more and lineCount 0 or more.");
        }

        var resolved = ResolveExistingFile(path);
        using var handle = OpenVerified(resolved, write: false);
        var size = RandomAccess.GetLength(handle);
        await using var stream = new FileStream(handle, FileAccess.Read, 1, isAsync: false);
        var probe = new byte[(int)Math.Min(8192, size)];
        var probed = await stream.ReadAtLeastAsync(probe, probe.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (probe.AsSpan(0, probed).Contains((byte)0))
        {
            return new ReadFileResult { Path = resolved.RelativePath, Content = "", IsBinary = true, SizeBytes = size };
        }

        stream.Position = 0;
        using var reader = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: true);
        var content = new StringBuilder();
        var lineNumber = 0;
        var first = 0;
        var last = 0;
        var truncated = false;
        var endLine = lineCount is { } count ? (long)startLine + count - 1 : long.MaxValue;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (lineNumber < startLine || lineNumber > endLine || truncated)
            {
                continue;
            }

            if (Utf8.GetByteCount(line) + 1 + content.Length > _options.MaxReadBytes)
            {
                truncated = true;
                continue;
            }

            content.Append(line).Append('\n');
            first = first == 0 ? lineNumber : first;
            last = lineNumber;
        }

        return new ReadFileResult
        {
            Path = resolved.RelativePath,
            Content = content.ToString(),
            StartLine = first,
            EndLine = last,
            TotalLines = lineNumber,
            Truncated = truncated,
            SizeBytes = size,
        };
    }

    /// <summary>Writes a file (UTF-8), replacing it or creating it and any missing folders.</summary>
    public async Task<WriteFileResult> WriteFileAsync(string path, string content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        var resolved = _paths.ResolveForWrite(path);
        var bytes = Utf8.GetBytes(content);
        var created = await WriteVerifiedAsync(resolved, bytes, cancellationToken).ConfigureAwait(false);
        return new WriteFileResult(resolved.RelativePath, bytes.Length, created);
    }

    /// <summary>
    /// Makes several exact replacements in one file, in order, each on the result of the previous. Each
    /// <see cref="FileEdit.OldText"/> must occur exactly once unless <see cref="FileEdit.ReplaceAll"/>; if any edit
    /// fails, the file is left unchanged. Text with '\n' line endings also matches a file with "\r\n" ones.
    /// </summary>
    public async Task<EditFileResult> EditFileAsync(string path, IReadOnlyList<FileEdit> edits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(edits);
        if (edits.Count == 0)
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "No edits were given.");
        }

        var resolved = _paths.ResolveForWrite(path);
        if (!resolved.Exists || !File.Exists(resolved.FullPath))
        {
            throw new WorkspaceToolException(WorkspaceToolError.NotFound, $"'{resolved.RelativePath}' does not exist; use the write tool to create it.");
        }

        var text = await ReadTextForEditAsync(resolved, cancellationToken).ConfigureAwait(false);
        var crlf = text.Contains("\r\n", StringComparison.Ordinal);
        var replacements = 0;
        for (var i = 0; i < edits.Count; i++)
        {
            var edit = edits[i];
            if (string.IsNullOrEmpty(edit.OldText))
            {
                throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, $"Edit {i + 1}: the text to replace is empty.");
            }

            var oldText = edit.OldText;
            var newText = edit.NewText ?? "";
            var occurrences = Count(text, oldText);
            if (occurrences == 0 && crlf && !oldText.Contains('\r', StringComparison.Ordinal))
            {
                oldText = oldText.Replace("\n", "\r\n", StringComparison.Ordinal);
                newText = newText.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
                occurrences = Count(text, oldText);
            }

            if (occurrences == 0)
            {
                throw new WorkspaceToolException(WorkspaceToolError.EditNotFound, $"Edit {i + 1}: the text to replace was not found in '{resolved.RelativePath}' (after the edits before it); no edit was applied.");
            }

            if (occurrences > 1 && !edit.ReplaceAll)
            {
                throw new WorkspaceToolException(WorkspaceToolError.EditAmbiguous, $"Edit {i + 1}: the text to replace occurs {occurrences} times in '{resolved.RelativePath}'; add surrounding lines to make it unique or set replaceAll. No edit was applied.");
            }

            if (edit.ReplaceAll)
            {
                text = text.Replace(oldText, newText, StringComparison.Ordinal);
                replacements += occurrences;
            }
            else
            {
                var at = text.IndexOf(oldText, StringComparison.Ordinal);
                text = string.Concat(text.AsSpan(0, at), newText, text.AsSpan(at + oldText.Length));
                replacements++;
            }
        }

        await WriteVerifiedAsync(resolved, Utf8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        return new EditFileResult(resolved.RelativePath, replacements);
    }

    /// <summary>
    /// Applies a unified diff (as <c>git diff</c> or <c>diff -u</c> write it): hunks are placed by their context
    /// (which must match exactly, near the stated line or further away), files are created (<c>--- /dev/null</c>) and
    /// deleted (<c>+++ /dev/null</c>). All or nothing: when any hunk fails, no file changes, and the error names it.
    /// </summary>
    public async Task<ApplyPatchResult> ApplyPatchAsync(string patch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var files = UnifiedDiff.Parse(patch);
        var plan = new List<(ResolvedPath Path, byte[]? Original, byte[]? Updated, PatchFileChange Change, int Hunks)>();
        foreach (var file in files)
        {
            var target = file.NewPath ?? file.OldPath!;
            if (file.OldPath is not null && file.NewPath is not null && _paths.Normalize(file.OldPath) != _paths.Normalize(file.NewPath))
            {
                throw new WorkspaceToolException(WorkspaceToolError.PatchFailed, $"The patch was not applied (no file was changed): '{file.OldPath}' -> '{file.NewPath}' renames a file, which is not supported.");
            }

            var resolved = _paths.ResolveForWrite(target);
            if (plan.Any(p => p.Path.FullPath == resolved.FullPath))
            {
                throw new WorkspaceToolException(WorkspaceToolError.PatchFailed, $"The patch was not applied (no file was changed): '{resolved.RelativePath}' appears twice; merge its hunks into one section.");
            }

            byte[]? original = null;
            if (file.OldPath is null)
            {
                if (resolved.Exists)
                {
                    throw new WorkspaceToolException(WorkspaceToolError.PatchFailed, $"The patch was not applied (no file was changed): it creates '{resolved.RelativePath}', which already exists.");
                }
            }
            else
            {
                if (!resolved.Exists || !File.Exists(resolved.FullPath))
                {
                    throw new WorkspaceToolException(WorkspaceToolError.PatchFailed, $"The patch was not applied (no file was changed): '{resolved.RelativePath}' does not exist.");
                }

                original = Utf8.GetBytes(await ReadTextForEditAsync(resolved, cancellationToken).ConfigureAwait(false));
            }

            var updated = UnifiedDiff.Apply(original is null ? null : Utf8.GetString(original), file, resolved.RelativePath);
            if (file.NewPath is null)
            {
                if (updated.Length != 0)
                {
                    throw new WorkspaceToolException(WorkspaceToolError.PatchFailed, $"The patch was not applied (no file was changed): it deletes '{resolved.RelativePath}' but does not remove all of its lines.");
                }

                plan.Add((resolved, original, null, PatchFileChange.Deleted, file.Hunks.Count));
            }
            else
            {
                plan.Add((resolved, original, Utf8.GetBytes(updated), file.OldPath is null ? PatchFileChange.Added : PatchFileChange.Modified, file.Hunks.Count));
            }
        }

        var done = new List<(ResolvedPath Path, byte[]? Original)>();
        try
        {
            foreach (var step in plan)
            {
                if (step.Updated is null)
                {
                    File.Delete(step.Path.FullPath);
                }
                else
                {
                    await WriteVerifiedAsync(step.Path, step.Updated, cancellationToken).ConfigureAwait(false);
                }

                done.Add((step.Path, step.Original));
            }
        }
        catch
        {
            // Put back what was already changed, so a failure halfway leaves the workspace as it was.
            foreach (var (path, original) in done)
            {
                try
                {
                    if (original is null)
                    {
                        File.Delete(path.FullPath);
                    }
                    else
                    {
                        await WriteVerifiedAsync(path with { Exists = File.Exists(path.FullPath) }, original, CancellationToken.None).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceToolException)
                {
                    // Best effort: the original error is what the caller needs.
                }
            }

            throw;
        }

        return new ApplyPatchResult([.. plan.Select(p => new PatchedFile(p.Path.RelativePath, p.Change, p.Hunks))]);
    }

    /// <summary>Lists a folder to <paramref name="depth"/> levels (1: its own entries), skipping <c>.git</c>; links are listed, not followed.</summary>
    public ListResult List(string? path = null, int depth = 2)
    {
        if (depth < 1)
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "depth must be 1 or more.");
        }

        var resolved = ResolveExistingFolder(path);
        var entries = new List<WorkspaceEntry>();
        var truncated = !Walk(resolved.FullPath, depth, (info, relative) =>
        {
            if (entries.Count >= _options.MaxListEntries)
            {
                return false;
            }

            entries.Add(ToEntry(info, relative));
            return true;
        });
        return new ListResult(resolved.RelativePath, entries, truncated);
    }

    /// <summary>Finds files matching a glob (<c>**/*.cs</c>, <c>src/*.{cs,json}</c>; a pattern without '/' matches names at any depth), skipping <c>.git</c>.</summary>
    public GlobResult Glob(string pattern, int maxResults = 1000)
    {
        var glob = new GlobPattern(pattern);
        var paths = new List<string>();
        var truncated = !Walk(_paths.Root, int.MaxValue, (info, relative) =>
        {
            if (info is FileInfo { LinkTarget: null } && glob.IsMatch(relative))
            {
                if (paths.Count >= maxResults)
                {
                    return false;
                }

                paths.Add(relative);
            }

            return true;
        });
        paths.Sort(StringComparer.Ordinal);
        return new GlobResult(pattern, paths, truncated);
    }

    /// <summary>
    /// Searches file contents line by line with a .NET regular expression, optionally only in files matching
    /// <paramref name="glob"/> under <paramref name="path"/>; binary files, files over the size cap and <c>.git</c> are skipped.
    /// </summary>
    public async Task<SearchResult> SearchAsync(string pattern, string? glob = null, string? path = null, bool ignoreCase = false, int maxResults = 200, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(pattern))
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "The search pattern is empty.");
        }

        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None), _options.RegexTimeout);
        }
        catch (ArgumentException e)
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "The search pattern is not a valid regular expression: " + e.Message, e);
        }

        var filter = glob is null ? null : new GlobPattern(glob);
        var folder = ResolveExistingFolder(path);
        var files = new List<(FileInfo Info, string Relative)>();
        Walk(folder.FullPath, int.MaxValue, (info, relative) =>
        {
            if (info is FileInfo { LinkTarget: null } file && file.Length <= _options.MaxSearchFileBytes && (filter is null || filter.IsMatch(relative)))
            {
                files.Add((file, relative));
            }

            return true;
        });
        files.Sort((a, b) => string.CompareOrdinal(a.Relative, b.Relative));

        var matches = new List<SearchMatch>();
        var searched = 0;
        foreach (var (info, relative) in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            byte[] bytes;
            try
            {
                using var handle = OpenVerified(new ResolvedPath(info.FullName, relative, true), write: false);
                bytes = new byte[RandomAccess.GetLength(handle)];
                await RandomAccess.ReadAsync(handle, bytes, 0, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or WorkspaceToolException)
            {
                continue;
            }

            if (bytes.AsSpan(0, Math.Min(bytes.Length, 8192)).Contains((byte)0))
            {
                continue;
            }

            searched++;
            var lineNumber = 0;
            foreach (var line in Utf8.GetString(bytes).Split('\n'))
            {
                lineNumber++;
                bool hit;
                try
                {
                    hit = regex.IsMatch(line);
                }
                catch (RegexMatchTimeoutException)
                {
                    continue;
                }

                if (hit)
                {
                    if (matches.Count >= maxResults)
                    {
                        return new SearchResult(matches, searched, Truncated: true);
                    }

                    var text = line.TrimEnd('\r');
                    matches.Add(new SearchMatch(relative, lineNumber, text.Length > 500 ? text[..500] : text));
                }
            }
        }

        return new SearchResult(matches, searched, Truncated: false);
    }

    /// <summary>Runs <c>git status --porcelain=v1 --branch</c> inside the session's sandbox.</summary>
    public Task<GitResult> GitStatusAsync(CancellationToken cancellationToken = default) =>
        RunGitAsync(["status", "--porcelain=v1", "--branch", "--untracked-files=all"], cancellationToken);

    /// <summary>Runs <c>git diff</c> (of the index with <paramref name="staged"/>) inside the session's sandbox, optionally for one path.</summary>
    public Task<GitResult> GitDiffAsync(bool staged = false, string? path = null, CancellationToken cancellationToken = default)
    {
        var arguments = new List<string> { "diff", "--no-color", "--no-ext-diff" };
        if (staged)
        {
            arguments.Add("--cached");
        }

        if (path is not null)
        {
            arguments.AddRange(["--", _paths.Normalize(path) is { Length: > 0 } relative ? relative : "."]);
        }

        return RunGitAsync(arguments, cancellationToken);
    }

    private async Task<GitResult> RunGitAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        var runner = _runner ?? throw new InvalidOperationException("Git tools need the session's sandbox: create the tools with WorkspaceTools.ForSession.");

        // Optional locks off: .git is read-only inside the sandbox, and status would otherwise try to refresh the index.
        var argv = new List<string> { "git", "--no-pager", "--no-optional-locks", "-c", "core.fsmonitor=false", "-c", "core.quotePath=false" };
        argv.AddRange(arguments);
        var result = await runner.RunAsync(
            new CommandSpec
            {
                Arguments = argv,
                Environment = new Dictionary<string, string> { ["GIT_PAGER"] = "cat", ["GIT_TERMINAL_PROMPT"] = "0", ["GIT_OPTIONAL_LOCKS"] = "0" },
                Timeout = TimeSpan.FromMinutes(2),
            },
            null,
            cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new WorkspaceToolException(WorkspaceToolError.GitFailed, $"git {arguments[0]} failed (exit {result.ExitCode}): {result.Stderr.Trim()}");
        }

        return new GitResult(result.ExitCode, result.Stdout, result.Stderr);
    }

    private ResolvedPath ResolveExistingFile(string path)
    {
        var resolved = _paths.ResolveForRead(path);
        if (!resolved.Exists)
        {
            throw new WorkspaceToolException(WorkspaceToolError.NotFound, $"'{resolved.RelativePath}' does not exist.");
        }

        if (!File.Exists(resolved.FullPath))
        {
            throw new WorkspaceToolException(WorkspaceToolError.WrongKind, $"'{resolved.RelativePath}' is a folder, not a file.");
        }

        return resolved;
    }

    private ResolvedPath ResolveExistingFolder(string? path)
    {
        var resolved = _paths.ResolveForRead(path);
        if (!resolved.Exists)
        {
            throw new WorkspaceToolException(WorkspaceToolError.NotFound, $"'{resolved.RelativePath}' does not exist.");
        }

        if (!Directory.Exists(resolved.FullPath))
        {
            throw new WorkspaceToolException(WorkspaceToolError.WrongKind, $"'{resolved.RelativePath}' is a file, not a folder.");
        }

        return resolved;
    }

    private async Task<string> ReadTextForEditAsync(ResolvedPath resolved, CancellationToken cancellationToken)
    {
        using var handle = OpenVerified(resolved, write: false);
        var length = RandomAccess.GetLength(handle);
        if (length > _options.MaxEditFileBytes)
        {
            throw new WorkspaceToolException(WorkspaceToolError.TooLarge, $"'{resolved.RelativePath}' is {length} bytes, over the {_options.MaxEditFileBytes}-byte cap of the edit tools.");
        }

        var bytes = new byte[length];
        await RandomAccess.ReadAsync(handle, bytes, 0, cancellationToken).ConfigureAwait(false);
        if (bytes.AsSpan(0, (int)Math.Min(length, 8192)).Contains((byte)0))
        {
            throw new WorkspaceToolException(WorkspaceToolError.WrongKind, $"'{resolved.RelativePath}' is a binary file; it cannot be edited as text.");
        }

        return Utf8.GetString(bytes);
    }

    private SafeFileHandle OpenVerified(ResolvedPath resolved, bool write)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(resolved.FullPath, FileMode.Open, write ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException e)
        {
            throw new WorkspaceToolException(WorkspaceToolError.NotFound, $"'{resolved.RelativePath}' does not exist.", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new WorkspaceToolException(WorkspaceToolError.WriteRefused, $"'{resolved.RelativePath}' cannot be opened: access denied.", e);
        }

        _paths.VerifyOpened(handle, resolved);
        return handle;
    }

    /// <summary>
    /// Writes without following a link swapped in after the check: a new file is made with O_CREAT|O_EXCL (which
    /// never follows a link); an existing one is opened without truncation, checked, and only then truncated.
    /// </summary>
    private async Task<bool> WriteVerifiedAsync(ResolvedPath resolved, byte[] bytes, CancellationToken cancellationToken)
    {
        if (Directory.Exists(resolved.FullPath))
        {
            throw new WorkspaceToolException(WorkspaceToolError.WrongKind, $"'{resolved.RelativePath}' is a folder, not a file.");
        }

        var parent = Path.GetDirectoryName(resolved.FullPath)!;
        if (!Directory.Exists(parent))
        {
            Directory.CreateDirectory(parent);
            var (realParent, _) = WorkspacePaths.RealPath(parent);
            if (realParent != parent)
            {
                throw new WorkspaceToolException(WorkspaceToolError.PathOutsideWorkspace, $"'{resolved.RelativePath}' changed while its folders were being made; refused.");
            }
        }

        SafeFileHandle handle;
        var created = false;
        try
        {
            handle = File.OpenHandle(resolved.FullPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
            created = true;
        }
        catch (IOException) when (File.Exists(resolved.FullPath) || new FileInfo(resolved.FullPath).LinkTarget is not null)
        {
            if (new FileInfo(resolved.FullPath).LinkTarget is not null)
            {
                throw new WorkspaceToolException(WorkspaceToolError.WriteRefused, $"'{resolved.RelativePath}' is a symbolic link; writing through links is refused.");
            }

            handle = OpenVerified(resolved with { Exists = true }, write: true);
        }

        using (handle)
        {
            _paths.VerifyOpened(handle, resolved);
            RandomAccess.SetLength(handle, 0);
            await RandomAccess.WriteAsync(handle, bytes, 0, cancellationToken).ConfigureAwait(false);
            RandomAccess.FlushToDisk(handle);
        }

        return created;
    }

    private static int Count(string text, string value)
    {
        var count = 0;
        for (var at = text.IndexOf(value, StringComparison.Ordinal); at >= 0; at = text.IndexOf(value, at + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>Walks a folder breadth-first by level, never into links or .git; the visitor returns false to stop.</summary>
    private bool Walk(string folder, int depth, Func<FileSystemInfo, string, bool> visit)
    {
        var queue = new Queue<(DirectoryInfo Folder, int Level)>();
        queue.Enqueue((new DirectoryInfo(folder), 1));
        while (queue.Count > 0)
        {
            var (current, level) = queue.Dequeue();
            FileSystemInfo[] children;
            try
            {
                children = current.GetFileSystemInfos();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            Array.Sort(children, (a, b) => string.CompareOrdinal(a.Name, b.Name));
            foreach (var child in children)
            {
                if (child.Name == ".git")
                {
                    continue;
                }

                var relative = _paths.ToRelative(child.FullName);
                if (!visit(child, relative))
                {
                    return false;
                }

                if (child is DirectoryInfo { LinkTarget: null } sub && level < depth)
                {
                    queue.Enqueue((sub, level + 1));
                }
            }
        }

        return true;
    }

    private static WorkspaceEntry ToEntry(FileSystemInfo info, string relative)
    {
        if (info.LinkTarget is { } target)
        {
            return new WorkspaceEntry(relative, WorkspaceEntryKind.Symlink, null, target);
        }

        return info switch
        {
            DirectoryInfo => new WorkspaceEntry(relative, WorkspaceEntryKind.Directory),
            FileInfo file when (file.Attributes & FileAttributes.Device) == 0 => new WorkspaceEntry(relative, WorkspaceEntryKind.File, file.Length),
            _ => new WorkspaceEntry(relative, WorkspaceEntryKind.Other),
        };
    }
}
