namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.List"/> returns.</summary>
/// <param name="Path">The workspace-relative folder listed.</param>
/// <param name="Entries">Entries, folders before their contents, sorted by name.</param>
/// <param name="Truncated">True when the entry cap was reached.</param>
public sealed record ListResult(string Path, IReadOnlyList<WorkspaceEntry> Entries, bool Truncated);
