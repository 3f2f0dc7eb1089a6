namespace Warden.Sandbox.Tools;

/// <summary>One exact replacement in a file.</summary>
/// <param name="OldText">Text to find; it must occur exactly once unless <paramref name="ReplaceAll"/> is true.</param>
/// <param name="NewText">Text to put in its place.</param>
/// <param name="ReplaceAll">Replace every occurrence (at least one must exist).</param>
public sealed record FileEdit(string OldText, string NewText, bool ReplaceAll = false);
