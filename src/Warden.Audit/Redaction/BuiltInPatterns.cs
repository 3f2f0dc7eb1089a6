using System.Text.RegularExpressions;

namespace Warden.Audit.Redaction;

/// <summary>Built-in secret shapes, one alternation so each string is scanned once.</summary>
internal static partial class BuiltInPatterns
{
    /// <summary>Group names double as the marker kinds.</summary>
    public static readonly string[] Kinds =
    [
        "private_key", "anthropic_key", "openai_key", "github_token", "slack_token", "aws_access_key",
        "jwt", "warden_token", "bearer_token", "url_password",
    ];

    /// <summary>
    /// Literals at least one of which occurs in any built-in match. Checking them with vectorised multi-string
    /// search first lets clean strings (the vast majority) skip the regex.
    /// </summary>
    public static readonly System.Buffers.SearchValues<string> Triggers = System.Buffers.SearchValues.Create(
    [
        "PRIVATE KEY", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AKIA", "ASIA", "eyJ", "wdn_", "earer", "EARER", "://",
    ], StringComparison.Ordinal);

    // Order matters: more specific shapes (sk-ant-) must come before more general ones (sk-).
    // Provider keys must contain a digit so ordinary hyphenated slugs starting "sk-" are left alone.
    [GeneratedRegex(
        """
        (?<private_key>-----BEGIN[A-Z0-9 ]*PRIVATE\ KEY-----[\s\S]*?-----END[A-Z0-9 ]*PRIVATE\ KEY-----)
        |(?<anthropic_key>\bsk-ant-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{16,})
        |(?<openai_key>\bsk-(?=[A-Za-z0-9_\-]*[0-9])[A-Za-z0-9_\-]{20,})
        |(?<github_token>\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,}))
        |(?<slack_token>\bxox[abposr]-[A-Za-z0-9\-]{10,})
        |(?<aws_access_key>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)
        |(?<jwt>\beyJ[A-Za-z0-9_\-]{5,}\.eyJ[A-Za-z0-9_\-]{5,}\.[A-Za-z0-9_\-]*)
        |(?<warden_token>\bwdn_[A-Za-z0-9]{16,})
        |(?<bearer_token>\b[Bb](?:earer|EARER)\s+[A-Za-z0-9\-._~+/]{8,}=*)
        |(?<url_password>://[^\s:/?#@]+:[^\s/?#@]+@)
        """,
        RegexOptions.IgnorePatternWhitespace | RegexOptions.ExplicitCapture | RegexOptions.CultureInvariant)]
    public static partial Regex Secrets();
}
