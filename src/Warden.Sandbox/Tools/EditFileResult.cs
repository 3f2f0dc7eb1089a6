namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.EditFileAsync"/> returns.</summary>
/// <param name="Path">The workspace-relative path.</param>
/// <param name="Replacements">Replacements made, over all edits.</param>
public sealed record EditFileResult(string Path, int Replacements);
