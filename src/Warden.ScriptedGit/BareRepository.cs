using Warden.ScriptedGit.Hosting;

namespace Warden.ScriptedGit;

/// <summary>
/// Bare Git repositories on disk for tests and the demo: create one with an initial commit from a set of files, read a
/// file or the branches back. Uses the git CLI.
/// </summary>
public static class BareRepository
{
    /// <summary>
    /// Creates the bare repository <paramref name="bareDirectory"/> (parents included) whose <paramref name="branch"/>
    /// holds one commit with <paramref name="files"/> (relative path to UTF-8 content; folders are created). Pushing
    /// over HTTP is allowed (<c>http.receivepack</c>).
    /// </summary>
    public static async Task CreateAsync(
        string bareDirectory, IReadOnlyDictionary<string, string> files, string branch = "main", string message = "Initial commit",
        string git = "git", CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
        {
            throw new ArgumentException("A repository needs at least one file for its first commit.", nameof(files));
        }

        if (Directory.Exists(bareDirectory) && Directory.EnumerateFileSystemEntries(bareDirectory).Any())
        {
            throw new InvalidOperationException($"{bareDirectory} already exists and is not empty.");
        }

        var work = Path.Combine(Path.GetTempPath(), "warden-bare-seed-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            await GitProcess.RequireAsync(git, null, ["init", "-q", "-b", branch, work], ct).ConfigureAwait(false);
            foreach (var (relative, content) in files)
            {
                var path = Path.GetFullPath(Path.Combine(work, relative));
                if (!path.StartsWith(work + Path.DirectorySeparatorChar, StringComparison.Ordinal) || path.Contains(Path.DirectorySeparatorChar + ".git" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"'{relative}' is not a path inside the repository.", nameof(files));
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllTextAsync(path, content, ct).ConfigureAwait(false);
            }

            await GitProcess.RequireAsync(git, work, ["add", "-A"], ct).ConfigureAwait(false);
            await GitProcess.RequireAsync(git, work, ["commit", "-q", "-m", message], ct).ConfigureAwait(false);
            Directory.CreateDirectory(bareDirectory);
            await GitProcess.RequireAsync(git, null, ["init", "-q", "--bare", "-b", branch, bareDirectory], ct).ConfigureAwait(false);
            await GitProcess.RequireAsync(git, null, ["--git-dir", bareDirectory, "config", "http.receivepack", "true"], ct).ConfigureAwait(false);
            await GitProcess.RequireAsync(git, work, ["push", "-q", bareDirectory, branch], ct).ConfigureAwait(false);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    /// <summary>The content of <paramref name="path"/> at <paramref name="revision"/> (a branch, tag or commit), or null when either is missing.</summary>
    public static async Task<string?> ReadFileAsync(string bareDirectory, string revision, string path, string git = "git", CancellationToken ct = default)
    {
        var (code, output, _) = await GitProcess.RunAsync(git, null, ["--git-dir", bareDirectory, "show", $"{revision}:{path}"], ct).ConfigureAwait(false);
        return code == 0 ? output : null;
    }

    /// <summary>The branches of the repository, by name.</summary>
    public static async Task<IReadOnlyList<string>> BranchesAsync(string bareDirectory, string git = "git", CancellationToken ct = default)
    {
        var output = await GitProcess.RequireAsync(git, null, ["--git-dir", bareDirectory, "for-each-ref", "--format=%(refname:short)", "refs/heads"], ct).ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether <paramref name="branch"/> exists in the repository.</summary>
    public static async Task<bool> HasBranchAsync(string bareDirectory, string branch, string git = "git", CancellationToken ct = default)
    {
        var (code, _, _) = await GitProcess.RunAsync(git, null, ["--git-dir", bareDirectory, "rev-parse", "--verify", "--quiet", "refs/heads/" + branch], ct).ConfigureAwait(false);
        return code == 0;
    }
}
