namespace Warden.Protocol;

/// <summary>
/// The result of <see cref="WorkerOperations.Diff"/> (JSON, snake_case): the workspace's change against the session's
/// base commit, untracked files included, as a unified diff (binary files named, not included), cut at a line
/// boundary when longer than the cap.
/// </summary>
public sealed record DiffResult
{
    /// <summary>The commit the session started from.</summary>
    public required string BaseCommit { get; init; }

    /// <summary>The unified diff (<c>git diff</c> format, no colour).</summary>
    public required string Diff { get; init; }

    /// <summary>True when <see cref="Diff"/> was cut at the size cap.</summary>
    public bool Truncated { get; init; }

    /// <summary>The <c>git diff --stat</c> summary, one line per file and a total line.</summary>
    public required string Stat { get; init; }

    /// <summary>Files changed.</summary>
    public int FilesChanged { get; init; }

    /// <summary>Lines added.</summary>
    public int Insertions { get; init; }

    /// <summary>Lines removed.</summary>
    public int Deletions { get; init; }

    /// <summary>Nested Git repositories in the workspace that a publish would leave out.</summary>
    public IReadOnlyList<string>? Skipped { get; init; }
}
