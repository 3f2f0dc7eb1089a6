using System.Text;
using System.Text.RegularExpressions;

namespace Warden.Sandbox.Tools;

/// <summary>
/// A glob over workspace-relative paths: <c>**</c> spans folders, <c>*</c> and <c>?</c> stay within one, <c>[abc]</c>,
/// <c>[!abc]</c> and <c>{a,b}</c> work as in shells. A pattern without '/' matches the file name at any depth.
/// </summary>
internal sealed class GlobPattern
{
    private readonly Regex _regex;
    private readonly bool _nameOnly;

    public GlobPattern(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "The glob pattern is empty.");
        }

        pattern = pattern.TrimStart('/');
        if (pattern.StartsWith("./", StringComparison.Ordinal))
        {
            pattern = pattern[2..];
        }

        _nameOnly = !pattern.Contains('/', StringComparison.Ordinal);
        _regex = new Regex("^" + Translate(pattern) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    public bool IsMatch(string relativePath) =>
        _regex.IsMatch(_nameOnly ? relativePath[(relativePath.LastIndexOf('/') + 1)..] : relativePath);

    private static string Translate(string pattern)
    {
        var sb = new StringBuilder();
        var braces = 0;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*' when i + 1 < pattern.Length && pattern[i + 1] == '*':
                    var slashAfter = i + 2 < pattern.Length && pattern[i + 2] == '/';
                    var atSegmentStart = i == 0 || pattern[i - 1] == '/';
                    if (atSegmentStart && slashAfter)
                    {
                        sb.Append("(?:.*/)?");
                        i += 2;
                    }
                    else
                    {
                        sb.Append(".*");
                        i++;
                    }

                    break;
                case '*':
                    sb.Append("[^/]*");
                    break;
                case '?':
                    sb.Append("[^/]");
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0)
                    {
                        sb.Append(@"\[");
                        break;
                    }

                    var set = pattern[(i + 1)..close];
                    if (set.StartsWith('!'))
                    {
                        set = "^" + set[1..];
                    }

                    sb.Append('[').Append(set.Replace(@"\", @"\\", StringComparison.Ordinal)).Append(']');
                    i = close;
                    break;
                case '{':
                    braces++;
                    sb.Append("(?:");
                    break;
                case '}' when braces > 0:
                    braces--;
                    sb.Append(')');
                    break;
                case ',' when braces > 0:
                    sb.Append('|');
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }

        if (braces != 0)
        {
            throw new WorkspaceToolException(WorkspaceToolError.InvalidArgument, "The glob pattern has an unclosed '{'.");
        }

        return sb.ToString();
    }
}
