using System.Text.RegularExpressions;

namespace Warden.Data.Identity;

/// <summary>
/// The rule for names that appear in URLs and policies (orgs, teams, users): lower-case letters, digits and single
/// hyphens, starting with a letter or digit, 1 to 63 characters. Display names carry the human spelling.
/// </summary>
public static partial class Names
{
    /// <summary>Throws a validation error naming <paramref name="what"/> when <paramref name="name"/> breaks the rule.</summary>
    public static string Require(string what, string? name)
    {
        if (string.IsNullOrEmpty(name) || !Pattern().IsMatch(name))
        {
            throw WardenException.Invalid(
                $"Invalid {what} name '{Shorten(name)}': use 1-63 lower-case letters, digits and hyphens, starting with a letter or digit.");
        }

        return name;
    }

    /// <summary>Throws a validation error when a display text is empty, too long or holds control characters.</summary>
    public static string RequireText(string what, string? text, int maxLength, bool allowEmpty = false)
    {
        text = text?.Trim() ?? string.Empty;
        if ((!allowEmpty && text.Length == 0) || text.Length > maxLength || text.Any(char.IsControl))
        {
            throw WardenException.Invalid($"Invalid {what}: {(allowEmpty ? string.Empty : "1-")}{maxLength} printable characters.");
        }

        return text;
    }

    private static string Shorten(string? name) => name is null ? string.Empty : name.Length > 40 ? name[..40] + "…" : name;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
