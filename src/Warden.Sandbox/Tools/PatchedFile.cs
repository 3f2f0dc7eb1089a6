namespace Warden.Sandbox.Tools;

/// <summary>One file a patch touched.</summary>
/// <param name="Path">The workspace-relative path.</param>
/// <param name="Change">What happened to it.</param>
/// <param name="HunksApplied">Hunks applied to it.</param>
public sealed record PatchedFile(string Path, PatchFileChange Change, int HunksApplied);
