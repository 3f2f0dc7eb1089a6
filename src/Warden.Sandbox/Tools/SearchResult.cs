namespace Warden.Sandbox.Tools;

/// <summary>What <see cref="WorkspaceTools.SearchAsync"/> returns.</summary>
/// <param name="Matches">Matching lines in path order.</param>
/// <param name="FilesSearched">Text files searched.</param>
/// <param name="Truncated">True when the result cap was reached.</param>
public sealed record SearchResult(IReadOnlyList<SearchMatch> Matches, int FilesSearched, bool Truncated);
