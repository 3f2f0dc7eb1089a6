namespace Warden.Sandbox.Tools;

/// <summary>One matching line.</summary>
/// <param name="Path">The workspace-relative file.</param>
/// <param name="Line">The 1-based line number.</param>
/// <param name="Text">The line (cut at 500 characters).</param>
public sealed record SearchMatch(string Path, int Line, string Text);
