namespace Warden.Sandbox.Tools;

/// <summary>One entry of a listing.</summary>
/// <param name="Path">The workspace-relative path.</param>
/// <param name="Kind">What it is.</param>
/// <param name="SizeBytes">Size for files, else null.</param>
/// <param name="LinkTarget">The link's target for symbolic links, else null.</param>
public sealed record WorkspaceEntry(string Path, WorkspaceEntryKind Kind, long? SizeBytes = null, string? LinkTarget = null);
