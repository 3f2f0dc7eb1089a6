namespace Warden.Sandbox.Tools;

/// <summary>A path confined to the workspace.</summary>
/// <param name="FullPath">The physical host path (no symbolic links).</param>
/// <param name="RelativePath">The path relative to the workspace root ("." for the root).</param>
/// <param name="Exists">True when something exists there.</param>
internal readonly record struct ResolvedPath(string FullPath, string RelativePath, bool Exists);
