using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>
/// The worker's own git work on a session's workspace, outside the sandbox: committing and pushing it
/// (<see cref="WorkerOperations.Publish"/>) and showing its diff (<see cref="WorkerOperations.Diff"/>). Every command
/// runs through <see cref="WorkspaceGit"/>, which keeps whatever the agent wrote from making git run a program.
/// </summary>
/// <remarks>
/// Staging is <c>git add -A</c> after marking every gitlink <c>skip-worktree</c> (so git never runs inside a nested
/// repository the agent may have planted), then gitlinks added or changed against the base are put back as they were:
/// a nested repository is reported in <c>skipped</c>, never committed (its commit would point nowhere the remote knows,
/// and a <c>.git</c> file can name any repository on the worker, whose head would leak into the commit).
/// </remarks>
public sealed partial class WorkspacePublisher
{
    /// <summary>The longest commit message accepted, in characters.</summary>
    public const int MaxMessageLength = 64 * 1024;

    private const string GitlinkMode = "160000";
    private const string CommentCharacters = "#;%!|~^$&*@";
    private readonly GitRunner _git;
    private readonly string _scratch;
    private readonly string _emptyHome;
    private readonly string _committerName;
    private readonly string _committerEmail;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates the publisher. <paramref name="scratchDirectory"/> holds temporary index files and an empty home folder
    /// for git; it must be the worker's (never inside a workspace).
    /// </summary>
    public WorkspacePublisher(GitRunner git, string scratchDirectory, string committerName = WorkspaceGit.DefaultCommitterName,
        string committerEmail = WorkspaceGit.DefaultCommitterEmail, ILogger? logger = null)
    {
        RequireIdentity(committerName, committerEmail, "committer");
        _git = git;
        _scratch = Path.GetFullPath(scratchDirectory);
        _emptyHome = Path.Combine(_scratch, "home");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(_emptyHome);
        }
        else
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Directory.CreateDirectory(_scratch, Private);
            Directory.CreateDirectory(_emptyHome, Private);
        }
        _committerName = committerName;
        _committerEmail = committerEmail;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// Commits everything in the workspace and pushes it to <see cref="PublishRequest.Branch"/> of the session's
    /// repository. Throws <see cref="ArgumentException"/> for a request that is not valid (the message lists every
    /// problem) and <see cref="WorkspaceException"/> when git fails (the message holds no credential).
    /// </summary>
    public async Task<PublishResult> PublishAsync(PublishTarget target, PublishRequest request, CancellationToken cancellationToken)
    {
        var errors = Validate(request);
        if (target.Repository is null || target.BaseCommit is null)
        {
            errors.Add("The session has no repository to publish to.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors));
        }

        var git = new WorkspaceGit(_git, target.Workspace, _emptyHome);
        await RequireBranchNameAsync(git, request.Branch, cancellationToken).ConfigureAwait(false);
        var skipped = await StageAsync(git, null, "HEAD", cancellationToken).ConfigureAwait(false);
        var staged = await git.RunAsync(["diff", "--cached", "--quiet", "--no-ext-diff", "HEAD", "--"], cancellationToken).ConfigureAwait(false);
        var committed = staged.ExitCode switch
        {
            0 => false,
            1 => true,
            _ => throw WorkspaceGit.Failure("Comparing the staged change", staged),
        };
        if (committed)
        {
            await CommitAsync(git, request, cancellationToken).ConfigureAwait(false);
        }

        var head = (await git.RequireAsync("Reading the new commit", ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cancellationToken).ConfigureAwait(false)).Trim();
        if (!committed && head == target.BaseCommit)
        {
            LogNothingToCommit(_logger, target.SessionId);
            return new PublishResult { Committed = false, Pushed = false, BaseCommit = target.BaseCommit, RemoteBase = request.RemoteBase, Skipped = NullIfEmpty(skipped) };
        }

        await git.PushAsync(target.Repository!, head, request.Branch, target.Credential, cancellationToken).ConfigureAwait(false);
        var stat = ParseShortStat(await git.RequireAsync("Measuring the change", ["diff", "--shortstat", "--no-ext-diff", target.BaseCommit!, head, "--"], cancellationToken).ConfigureAwait(false));
        LogPublished(_logger, target.SessionId, head, request.Branch, committed, stat.Files);
        if (skipped.Count > 0)
        {
            LogSkipped(_logger, target.SessionId, skipped.Count);
        }

        return new PublishResult
        {
            Committed = committed,
            Pushed = true,
            Commit = head,
            Branch = request.Branch,
            BaseCommit = target.BaseCommit,
            RemoteBase = request.RemoteBase,
            FilesChanged = stat.Files,
            Insertions = stat.Insertions,
            Deletions = stat.Deletions,
            Skipped = NullIfEmpty(skipped),
        };
    }

    /// <summary>
    /// The workspace's change against its base commit, untracked files included, staged into a temporary index so the
    /// workspace's own index is left as it was. <paramref name="maxBytes"/> caps the diff text.
    /// </summary>
    public async Task<DiffResult> DiffAsync(PublishTarget target, int maxBytes, CancellationToken cancellationToken)
    {
        if (target.BaseCommit is null)
        {
            throw new ArgumentException("The session has no repository, so there is nothing to diff against.");
        }

        var git = new WorkspaceGit(_git, target.Workspace, _emptyHome);
        var index = Path.Combine(_scratch, $"{target.SessionId}-{Guid.NewGuid():N}.index");
        try
        {
            var current = Path.Combine(git.GitDirectory, "index");
            if (File.Exists(current))
            {
                // A copy keeps the stat cache, so only files that changed are read again.
                File.Copy(current, index);
            }

            var skipped = await StageAsync(git, index, target.BaseCommit, cancellationToken).ConfigureAwait(false);
            var stat = await git.RequireAsync("Summarising the diff", ["diff", "--cached", "--stat=200,160", "--no-ext-diff", "--no-color", target.BaseCommit, "--"], cancellationToken, index).ConfigureAwait(false);
            var totals = ParseShortStat(await git.RequireAsync("Summarising the diff", ["diff", "--cached", "--shortstat", "--no-ext-diff", target.BaseCommit, "--"], cancellationToken, index).ConfigureAwait(false));
            var diff = await git.RunAsync(["diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv", "--submodule=short", target.BaseCommit, "--"], cancellationToken, index, maxOutputBytes: maxBytes).ConfigureAwait(false);
            if (diff.ExitCode != 0 && !diff.OutputTruncated)
            {
                throw WorkspaceGit.Failure("Computing the diff", diff);
            }

            return new DiffResult
            {
                BaseCommit = target.BaseCommit,
                Diff = diff.StandardOutput,
                Truncated = diff.OutputTruncated,
                Stat = stat,
                FilesChanged = totals.Files,
                Insertions = totals.Insertions,
                Deletions = totals.Deletions,
                Skipped = NullIfEmpty(skipped),
            };
        }
        finally
        {
            TryDelete(index);
            TryDelete(index + ".lock");
        }
    }

    /// <summary>Every problem with <paramref name="request"/> that can be seen without git (the branch is checked by git later).</summary>
    public static List<string> Validate(PublishRequest request)
    {
        var errors = new List<string>();
        if (!BranchShape().IsMatch(request.Branch ?? string.Empty))
        {
            errors.Add($"The branch must be 'warden/<name>' (letters, digits, '.', '_', '-', '/'), not '{Printable(request.Branch)}'.");
        }

        if (string.IsNullOrWhiteSpace(request.Message) || request.Message.Length > MaxMessageLength || request.Message.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add($"The message must be non-empty text of at most {MaxMessageLength} characters.");
        }

        errors.AddRange(IdentityErrors(request.AuthorName, request.AuthorEmail, "author"));
        foreach (var (name, value) in request.Trailers ?? new Dictionary<string, string>())
        {
            if (!TrailerName().IsMatch(name ?? string.Empty))
            {
                errors.Add($"Trailer name '{Printable(name)}' must be letters, digits and '-' (at most 64).");
            }

            if (string.IsNullOrWhiteSpace(value) || value.Length > 1000 || value.Any(char.IsControl))
            {
                errors.Add($"Trailer '{Printable(name)}' needs a one-line value of at most 1000 characters.");
            }
        }

        if (request.RemoteBase is { } remoteBase && (remoteBase.Length is 0 or > 200 || remoteBase.StartsWith('-') || remoteBase.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) || remoteBase.Contains("..", StringComparison.Ordinal)))
        {
            errors.Add("remote_base must be a ref name such as 'main'.");
        }

        return errors;
    }

    private async Task CommitAsync(WorkspaceGit git, PublishRequest request, CancellationToken cancellationToken)
    {
        // The message is kept as written (--cleanup=whitespace keeps '#' lines), but --trailer puts trailers before any
        // trailing "comment" lines, so the comment character is one no line of this message starts with.
        var commentChar = CommentCharacters.FirstOrDefault(c => !request.Message.Split('\n').Any(line => line.StartsWith(c)));
        if (commentChar == default)
        {
            throw new ArgumentException("The message's lines start with every character the worker could use to mark comments.");
        }

        var arguments = new List<string> { "-c", "core.commentChar=" + commentChar, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "--no-edit", "--cleanup=whitespace", "--file=-" };
        foreach (var (name, value) in request.Trailers ?? new Dictionary<string, string>())
        {
            arguments.Add("--trailer");
            arguments.Add($"{name}: {value.Trim()}");
        }

        var identity = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["GIT_AUTHOR_NAME"] = request.AuthorName.Trim(),
            ["GIT_AUTHOR_EMAIL"] = request.AuthorEmail.Trim(),
            ["GIT_COMMITTER_NAME"] = _committerName,
            ["GIT_COMMITTER_EMAIL"] = _committerEmail,
        };
        await git.RequireAsync("Committing the workspace", arguments, cancellationToken, environment: identity, input: request.Message).ConfigureAwait(false);
    }

    /// <summary>
    /// Stages the whole working tree into <paramref name="indexFile"/> (the workspace's index when null) and puts every
    /// gitlink that differs from <paramref name="against"/> back as it was there. Returns those gitlinks' paths.
    /// </summary>
    private static async Task<List<string>> StageAsync(WorkspaceGit git, string? indexFile, string against, CancellationToken cancellationToken)
    {
        // 1. Gitlinks already in the index: skip-worktree, so `add` never runs `git status` inside them.
        var gitlinks = new StringBuilder();
        foreach (var entry in WorkspaceGit.SplitNul(await git.RequireAsync("Listing the index", ["ls-files", "--stage", "-z"], cancellationToken, indexFile).ConfigureAwait(false)))
        {
            var tab = entry.IndexOf('\t', StringComparison.Ordinal);
            if (tab > 0 && entry.StartsWith(GitlinkMode + " ", StringComparison.Ordinal))
            {
                gitlinks.Append(entry.AsSpan(tab + 1)).Append('\0');
            }
        }

        if (gitlinks.Length > 0)
        {
            await git.RequireAsync("Marking nested repositories", ["update-index", "-z", "--skip-worktree", "--stdin"], cancellationToken, indexFile, input: gitlinks.ToString()).ConfigureAwait(false);
        }

        // 2. Everything else, as git add -A sees it.
        await git.RequireAsync("Staging the workspace", ["add", "--all", "--", "."], cancellationToken, indexFile).ConfigureAwait(false);

        // 3. Gitlinks new or changed against the base go back to what the base had (or out of the index).
        var raw = WorkspaceGit.SplitNul(await git.RequireAsync("Listing the staged change", ["diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--no-ext-diff", "--ignore-submodules=none", against, "--"], cancellationToken, indexFile).ConfigureAwait(false));
        var skipped = new List<string>();
        var restore = new StringBuilder();
        for (var i = 0; i + 1 < raw.Length; i += 2)
        {
            // :<old mode> <new mode> <old sha> <new sha> <status>, then the path.
            var fields = raw[i].TrimStart(':').Split(' ');
            if (fields.Length < 5 || (fields[0] != GitlinkMode && fields[1] != GitlinkMode))
            {
                continue;
            }

            var path = raw[i + 1];
            skipped.Add(path);
            restore.Append(fields[0] == "000000" ? $"0 {new string('0', fields[2].Length)}\t{path}\0" : $"{fields[0]} {fields[2]}\t{path}\0");
        }

        if (restore.Length > 0)
        {
            // --index-info: mode 0 removes the entry; otherwise the entry is set back to the base's.
            await git.RequireAsync("Leaving nested repositories out", ["update-index", "-z", "--index-info"], cancellationToken, indexFile, input: restore.ToString()).ConfigureAwait(false);
        }

        return skipped;
    }

    private static async Task RequireBranchNameAsync(WorkspaceGit git, string branch, CancellationToken cancellationToken)
    {
        var check = await git.RunAsync(["check-ref-format", "refs/heads/" + branch], cancellationToken).ConfigureAwait(false);
        if (check.ExitCode != 0)
        {
            throw new ArgumentException($"'{branch}' is not a valid branch name (git check-ref-format).");
        }
    }

    private static (int Files, int Insertions, int Deletions) ParseShortStat(string text)
    {
        static int Number(Match m) => m.Success ? int.Parse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;
        return (Number(FilesChanged().Match(text)), Number(Insertions().Match(text)), Number(Deletions().Match(text)));
    }

    private static void RequireIdentity(string name, string email, string role)
    {
        var errors = IdentityErrors(name, email, role);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors));
        }
    }

    private static List<string> IdentityErrors(string? name, string? email, string role)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200 || name.Any(c => char.IsControl(c) || c is '<' or '>'))
        {
            errors.Add($"The {role} name must be 1-200 printable characters without '<' or '>'.");
        }

        if (string.IsNullOrWhiteSpace(email) || !Email().IsMatch(email.Trim()))
        {
            errors.Add($"The {role} e-mail must look like name@host.");
        }

        return errors;
    }

    private static string Printable(string? text) =>
        text is null ? string.Empty : new string(text.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    private static List<string>? NullIfEmpty(List<string> list) => list.Count == 0 ? null : list;

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temporary index is harmless; the scratch folder is the worker's.
        }
    }

    [GeneratedRegex(@"^warden/[A-Za-z0-9._/-]{1,200}$", RegexOptions.CultureInvariant)]
    private static partial Regex BranchShape();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex TrailerName();

    [GeneratedRegex(@"^[^\s<>@]{1,200}@[^\s<>@]{1,200}$", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    [GeneratedRegex(@"(\d+) files? changed", RegexOptions.CultureInvariant)]
    private static partial Regex FilesChanged();

    [GeneratedRegex(@"(\d+) insertions?\(\+\)", RegexOptions.CultureInvariant)]
    private static partial Regex Insertions();

    [GeneratedRegex(@"(\d+) deletions?\(-\)", RegexOptions.CultureInvariant)]
    private static partial Regex Deletions();

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: pushed {Commit} to branch {Branch} (new commit: {Committed}; {Files} file(s) changed against the base)")]
    private static partial void LogPublished(ILogger logger, string sessionId, string commit, string branch, bool committed, int files);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: nothing to commit; the workspace is at its base commit")]
    private static partial void LogNothingToCommit(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: {Count} nested Git repositories were left out of the commit")]
    private static partial void LogSkipped(ILogger logger, string sessionId, int count);
}
