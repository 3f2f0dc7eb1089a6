namespace Warden.Sandbox.Tools;

/// <summary>The hunks for one file. A null old path means the file is created; a null new path, deleted.</summary>
internal sealed record FilePatch(string? OldPath, string? NewPath, IReadOnlyList<PatchHunk> Hunks);
