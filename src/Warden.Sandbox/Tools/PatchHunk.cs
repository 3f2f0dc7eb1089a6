namespace Warden.Sandbox.Tools;

/// <summary>
/// One hunk of a unified diff, as its lines: ' ' context, '-' removed, '+' added. The old side is the context and
/// removed lines; the new side, the context and added lines.
/// </summary>
internal sealed record PatchHunk(string Header, int OldStart, IReadOnlyList<(char Kind, string Text)> Lines, bool OldNoNewlineAtEnd, bool NewNoNewlineAtEnd)
{
    /// <summary>The old side's lines.</summary>
    public IReadOnlyList<string> OldLines { get; } = [.. Lines.Where(l => l.Kind != '+').Select(l => l.Text)];

    /// <summary>The new side's lines.</summary>
    public IReadOnlyList<string> NewLines { get; } = [.. Lines.Where(l => l.Kind != '-').Select(l => l.Text)];
}
