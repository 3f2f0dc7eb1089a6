namespace Warden.Worker.Workspaces;

/// <summary>A session's workspace, ready for its runtime.</summary>
/// <param name="Path">The workspace folder.</param>
/// <param name="Commit">The commit checked out, or null for an empty workspace.</param>
/// <param name="FromMirror">True when the mirror cache already held the repository (only a fetch was needed).</param>
/// <param name="Elapsed">How long preparation took.</param>
/// <param name="FromSpare">True when a spare workspace checked out ahead of time was claimed (only the changes were checked out).</param>
public sealed record PreparedWorkspace(string Path, string? Commit, bool FromMirror, TimeSpan Elapsed, bool FromSpare = false);
