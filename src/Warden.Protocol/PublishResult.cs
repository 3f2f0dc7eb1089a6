namespace Warden.Protocol;

/// <summary>
/// The result of <see cref="WorkerOperations.Publish"/> (JSON, snake_case). Nothing to commit on a workspace still at
/// its base commit is <c>{"committed": false, "pushed": false, ...}</c>; nothing new to commit on top of an earlier
/// publish pushes that commit again (so a publish whose push failed can be retried with a new call id).
/// </summary>
public sealed record PublishResult
{
    /// <summary>True when this call made a new commit.</summary>
    public required bool Committed { get; init; }

    /// <summary>True when the branch was pushed.</summary>
    public bool Pushed { get; init; }

    /// <summary>The commit now at the branch's tip (absent when nothing was pushed).</summary>
    public string? Commit { get; init; }

    /// <summary>The branch pushed to (absent when nothing was pushed).</summary>
    public string? Branch { get; init; }

    /// <summary>The commit the session started from; the counts below are measured against it.</summary>
    public string? BaseCommit { get; init; }

    /// <summary>The <see cref="PublishRequest.RemoteBase"/> asked for, echoed.</summary>
    public string? RemoteBase { get; init; }

    /// <summary>Files changed between the base commit and <see cref="Commit"/>.</summary>
    public int FilesChanged { get; init; }

    /// <summary>Lines added.</summary>
    public int Insertions { get; init; }

    /// <summary>Lines removed.</summary>
    public int Deletions { get; init; }

    /// <summary>Nested Git repositories in the workspace that were left out of the commit (the worker commits files, not gitlinks).</summary>
    public IReadOnlyList<string>? Skipped { get; init; }
}
