using System.Globalization;
using System.Text.RegularExpressions;

namespace Warden.Sandbox.Tools;

/// <summary>A small unified-diff parser and applier (git and diff -u output): context-checked hunks, new and deleted files.</summary>
internal static partial class UnifiedDiff
{
    /// <summary>Parses a patch; throws <see cref="WorkspaceToolException"/> naming the line that is wrong.</summary>
    public static List<FilePatch> Parse(string patch)
    {
        var lines = patch.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var files = new List<FilePatch>();
        var i = 0;
        while (i < lines.Length)
        {
            var line = lines[i];
            if (line.StartsWith("rename from ", StringComparison.Ordinal) || line.StartsWith("copy from ", StringComparison.Ordinal))
            {
                throw Fail("renames and copies are not supported; delete the old file and add the new one instead.");
            }

            if (line.StartsWith("GIT binary patch", StringComparison.Ordinal) || line.StartsWith("Binary files ", StringComparison.Ordinal))
            {
                throw Fail("binary patches are not supported.");
            }

            if (!line.StartsWith("--- ", StringComparison.Ordinal) || i + 1 >= lines.Length || !lines[i + 1].StartsWith("+++ ", StringComparison.Ordinal))
            {
                i++;
                continue;
            }

            var oldPath = ParsePath(line[4..]);
            var newPath = ParsePath(lines[i + 1][4..]);
            if (oldPath is null && newPath is null)
            {
                throw Fail($"line {i + 1}: both sides of a file header are /dev/null.");
            }

            i += 2;
            var hunks = new List<PatchHunk>();
            while (i < lines.Length && lines[i].StartsWith("@@", StringComparison.Ordinal))
            {
                hunks.Add(ParseHunk(lines, ref i, newPath ?? oldPath!));
            }

            if (hunks.Count == 0)
            {
                throw Fail($"the header for '{newPath ?? oldPath}' has no hunks.");
            }

            files.Add(new FilePatch(oldPath, newPath, hunks));
        }

        if (files.Count == 0)
        {
            throw Fail("no file headers ('--- a/path' and '+++ b/path') were found; send a unified diff.");
        }

        return files;
    }

    /// <summary>Applies hunks to a file's text (null for a file being created); throws naming the hunk that fails.</summary>
    public static string Apply(string? original, FilePatch file, string displayPath)
    {
        var lines = new List<string>();
        var endsWithNewline = true;
        if (!string.IsNullOrEmpty(original))
        {
            lines.AddRange(original.Split('\n'));
            if (lines[^1].Length == 0)
            {
                lines.RemoveAt(lines.Count - 1);
            }
            else
            {
                endsWithNewline = false;
            }
        }

        var crlf = lines.Count > 0 && lines[0].EndsWith('\r');
        var delta = 0;
        var searchFrom = 0;
        for (var h = 0; h < file.Hunks.Count; h++)
        {
            var hunk = file.Hunks[h];
            var expected = Math.Max(0, hunk.OldStart - 1 + delta);
            if (hunk.OldLines.Count == 0 && hunk.OldStart == 0)
            {
                expected = 0;
            }

            var at = Find(lines, hunk.OldLines, expected, searchFrom);
            if (at < 0)
            {
                throw Fail($"hunk {h + 1} ({hunk.Header}) does not apply to '{displayPath}': {Mismatch(lines, hunk.OldLines, expected)}");
            }

            var replacement = new List<string>(hunk.NewLines.Count);
            var position = at;
            foreach (var (kind, text) in hunk.Lines)
            {
                switch (kind)
                {
                    case ' ':
                        // Keep the file's own line (and its line ending) where the patch only has context.
                        replacement.Add(lines[position++]);
                        break;
                    case '-':
                        position++;
                        break;
                    default:
                        replacement.Add(crlf && !text.EndsWith('\r') ? text + "\r" : text);
                        break;
                }
            }

            var touchesEnd = at + hunk.OldLines.Count == lines.Count;
            lines.RemoveRange(at, hunk.OldLines.Count);
            lines.InsertRange(at, replacement);
            if (touchesEnd)
            {
                endsWithNewline = !hunk.NewNoNewlineAtEnd;
            }

            delta += hunk.NewLines.Count - hunk.OldLines.Count;
            searchFrom = at + replacement.Count;
        }

        if (lines.Count == 0)
        {
            return "";
        }

        return string.Join('\n', lines) + (endsWithNewline ? "\n" : "");
    }

    private static int Find(List<string> lines, IReadOnlyList<string> wanted, int expected, int searchFrom)
    {
        if (Matches(lines, wanted, expected) && expected >= searchFrom)
        {
            return expected;
        }

        for (var distance = 1; distance <= lines.Count; distance++)
        {
            foreach (var at in new[] { expected - distance, expected + distance })
            {
                if (at >= searchFrom && Matches(lines, wanted, at))
                {
                    return at;
                }
            }
        }

        return -1;
    }

    private static bool Matches(List<string> lines, IReadOnlyList<string> wanted, int at)
    {
        if (at < 0 || at + wanted.Count > lines.Count)
        {
            return false;
        }

        for (var k = 0; k < wanted.Count; k++)
        {
            if (!SameLine(lines[at + k], wanted[k]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameLine(string a, string b) => a == b || a.TrimEnd('\r') == b.TrimEnd('\r');

    private static string Mismatch(List<string> lines, IReadOnlyList<string> wanted, int expected)
    {
        for (var k = 0; k < wanted.Count; k++)
        {
            var at = expected + k;
            if (at >= lines.Count)
            {
                return $"the file ends at line {lines.Count}, before the hunk's line {k + 1} ('{Cut(wanted[k])}').";
            }

            if (!SameLine(lines[at], wanted[k]))
            {
                return $"line {at + 1} is '{Cut(lines[at])}' but the hunk expects '{Cut(wanted[k])}', and the hunk's lines were not found elsewhere.";
            }
        }

        return "its lines were not found after the previous hunk.";
    }

    private static string Cut(string s) => s.Length > 120 ? s[..120] + "..." : s.TrimEnd('\r');

    private static PatchHunk ParseHunk(string[] lines, ref int i, string path)
    {
        var header = lines[i];
        var match = HunkHeader().Match(header);
        if (!match.Success)
        {
            throw Fail($"'{header}' is not a hunk header (expected '@@ -start,count +start,count @@') in the patch for '{path}'.");
        }

        var oldStart = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var oldCount = match.Groups[2].Success ? int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) : 1;
        var newCount = match.Groups[4].Success ? int.Parse(match.Groups[4].Value, CultureInfo.InvariantCulture) : 1;
        var headerText = match.Groups[0].Value;
        i++;
        var hunkLines = new List<(char, string)>();
        var oldLines = 0;
        var newLines = 0;
        var oldNoNewline = false;
        var newNoNewline = false;
        var last = ' ';
        while (i < lines.Length && (oldLines < oldCount || newLines < newCount || (i < lines.Length && lines[i].StartsWith('\\'))))
        {
            var line = lines[i];
            if (line.StartsWith('\\'))
            {
                oldNoNewline |= last is ' ' or '-';
                newNoNewline |= last is ' ' or '+';
                i++;
                continue;
            }

            var kind = line.Length == 0 ? ' ' : line[0];
            var text = line.Length == 0 ? "" : line[1..];
            switch (kind)
            {
                case ' ':
                    oldLines++;
                    newLines++;
                    break;
                case '-':
                    oldLines++;
                    break;
                case '+':
                    newLines++;
                    break;
                default:
                    throw Fail($"hunk {headerText} for '{path}' ends early: line '{Cut(line)}' is not context (' '), removal ('-') or addition ('+'); the hunk's counts say {oldCount} old and {newCount} new lines.");
            }

            hunkLines.Add((kind, text));
            last = kind;
            i++;
        }

        if (oldLines != oldCount || newLines != newCount)
        {
            throw Fail($"hunk {headerText} for '{path}' has {oldLines} old and {newLines} new lines, but its header says {oldCount} and {newCount}.");
        }

        return new PatchHunk(headerText, oldStart, hunkLines, oldNoNewline, newNoNewline);
    }

    private static string? ParsePath(string text)
    {
        var tab = text.IndexOf('\t', StringComparison.Ordinal);
        var path = (tab >= 0 ? text[..tab] : text).Trim();
        if (path == "/dev/null")
        {
            return null;
        }

        if (path.StartsWith('"') && path.EndsWith('"') && path.Length >= 2)
        {
            path = path[1..^1];
        }

        return path.StartsWith("a/", StringComparison.Ordinal) || path.StartsWith("b/", StringComparison.Ordinal) ? path[2..] : path;
    }

    private static WorkspaceToolException Fail(string message) => new(WorkspaceToolError.PatchFailed, "The patch was not applied (no file was changed): " + message);

    [GeneratedRegex(@"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")]
    private static partial Regex HunkHeader();
}
