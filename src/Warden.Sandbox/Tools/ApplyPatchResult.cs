namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.ApplyPatchAsync"/> returns.</summary>
/// <param name="Files">The files changed, in patch order.</param>
public sealed record ApplyPatchResult(IReadOnlyList<PatchedFile> Files);
