namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.Glob"/> returns.</summary>
/// <param name="Pattern">The pattern.</param>
/// <param name="Paths">Matching files, workspace-relative, sorted.</param>
/// <param name="Truncated">True when the result cap was reached.</param>
public sealed record GlobResult(string Pattern, IReadOnlyList<string> Paths, bool Truncated);
