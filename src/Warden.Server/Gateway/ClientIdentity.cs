namespace Warden.Server.Gateway;

/// <summary>
/// Which tool made a gateway call, from its User-Agent: the audit trail names the vendor and product (Claude Code,
/// Codex, an SDK, ...) so that "what did every AI tool do" can be answered per tool, not just per key.
/// </summary>
public static class ClientIdentity
{
    private static readonly (string Marker, string Vendor, string Product)[] Known =
    [
        ("claude-cli", "anthropic", "claude-code"),
        ("claude-code", "anthropic", "claude-code"),
        ("codex", "openai", "codex"),
        ("copilot", "github", "copilot"),
        ("cursor", "cursor", "cursor"),
        ("aider", "aider", "aider"),
        ("continue", "continue", "continue"),
        ("cline", "cline", "cline"),
        ("warden-agent", "warden", "warden-agent"),
        ("anthropic/", "anthropic", "anthropic-sdk"),
        ("openai/", "openai", "openai-sdk"),
        ("openai-dotnet", "openai", "openai-sdk"),
        ("python-requests", "unknown", "python-requests"),
        ("curl/", "unknown", "curl"),
    ];

    /// <summary>The vendor and product for a User-Agent, and the client string kept with usage (at most 100 characters).</summary>
    public static (string Vendor, string Product, string Client) FromUserAgent(string? userAgent)
    {
        var ua = userAgent?.Trim() ?? string.Empty;
        var client = ua.Length == 0 ? "unknown" : ua.Length <= 100 ? ua : ua[..100];
        foreach (var (marker, vendor, product) in Known)
        {
            if (ua.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                return (vendor, product, client);
            }
        }

        var first = ua.Split([' ', '/'], 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return ("unknown", string.IsNullOrEmpty(first) ? "unknown" : first.Length <= 40 ? first.ToLowerInvariant() : first[..40].ToLowerInvariant(), client);
    }
}
