using System.Text.RegularExpressions;

namespace Warden.Data.Git;

/// <summary>The vocabulary of Git connections and repositories, validated in one place.</summary>
public static partial class GitNames
{
    /// <summary>GitHub (github.com or GitHub Enterprise Server): REST pull requests.</summary>
    public const string GitHub = "github";

    /// <summary>GitLab (gitlab.com or self-managed): REST merge requests.</summary>
    public const string GitLab = "gitlab";

    /// <summary>Gitea or Forgejo: REST pull requests.</summary>
    public const string Gitea = "gitea";

    /// <summary>A plain Git server over HTTPS or SSH: push only, no pull request.</summary>
    public const string PlainGit = "git";

    /// <summary>The API root used for GitHub when none is given.</summary>
    public const string DefaultGitHubApiUrl = "https://api.github.com/";

    /// <summary>The branch a repository starts from when none is given.</summary>
    public const string DefaultBranch = "main";

    /// <summary>Connection kinds.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [GitHub, GitLab, Gitea, PlainGit];

    /// <summary>Whether <paramref name="kind"/> has a pull/merge request API.</summary>
    public static bool HasPullRequests(string kind) => kind is GitHub or GitLab or Gitea;

    /// <summary>
    /// The user name sent with the token for clone and push (HTTP basic authentication): GitHub takes
    /// <c>x-access-token</c>, GitLab <c>oauth2</c>, whatever the connection sets otherwise. Gitea ignores the user name
    /// when the password is a token; a plain Git server needs the real one (required when it has a credential).
    /// </summary>
    public static string CloneUsername(string kind, string? username) => kind switch
    {
        GitHub => "x-access-token",
        GitLab => "oauth2",
        _ => string.IsNullOrEmpty(username) ? "warden" : username,
    };

    /// <summary>Throws a validation error unless <paramref name="kind"/> is a known connection kind; returns it in lower case.</summary>
    public static string RequireKind(string? kind)
    {
        var k = kind?.Trim().ToLowerInvariant() ?? string.Empty;
        return Kinds.Contains(k) ? k : throw WardenException.Invalid($"Invalid connection kind '{kind}': use one of {string.Join(", ", Kinds)}.");
    }

    /// <summary>Throws a validation error unless <paramref name="name"/> is a usable connection name.</summary>
    public static string RequireConnectionName(string? name)
    {
        name = name?.Trim() ?? string.Empty;
        return ConnectionNamePattern().IsMatch(name)
            ? name
            : throw WardenException.Invalid($"Invalid connection name '{Shorten(name)}': use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit.");
    }

    /// <summary>Throws a validation error unless <paramref name="name"/> is a usable repository name (segments joined by <c>/</c>).</summary>
    public static string RequireRepositoryName(string? name)
    {
        name = name?.Trim() ?? string.Empty;
        return name.Length <= 200 && PathPattern().IsMatch(name)
            ? name
            : throw WardenException.Invalid(
                $"Invalid repository name '{Shorten(name)}': use segments of letters, digits, '.', '_' or '-' (each starting with a letter or digit) joined by '/', at most 200 characters, e.g. acme/api.");
    }

    /// <summary>
    /// The normalised API root of a connection (ending in <c>/</c>), or null for plain Git. GitHub defaults to
    /// <see cref="DefaultGitHubApiUrl"/> (also for <c>https://github.com</c>); GitLab and Gitea need their instance URL.
    /// </summary>
    public static string? NormalizeApiUrl(string kind, string? value)
    {
        value = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        if (kind == PlainGit)
        {
            return value is null ? null : throw WardenException.Invalid("A plain Git connection has no API URL: it pushes branches and opens no pull request.");
        }

        if (value is null)
        {
            return kind == GitHub
                ? DefaultGitHubApiUrl
                : throw WardenException.Invalid($"A {kind} connection needs its API URL: the instance's address, e.g. https://{kind}.example.com.");
        }

        // A URL with user info or a query is not echoed: either may hold a token (https://oauth2:glpat-...@, ?private_token=).
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0)
        {
            throw WardenException.Invalid("Invalid API URL: credentials never go in the URL; give the token as the connection's credential.");
        }

        if (uri is not null && (uri.Query.Length > 0 || uri.Fragment.Length > 0))
        {
            throw WardenException.Invalid("Invalid API URL: use the instance's address without a query or fragment.");
        }

        if (uri is null || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw WardenException.Invalid($"Invalid API URL '{Shorten(value)}': use an absolute http(s) URL without credentials, query or fragment.");
        }

        if (kind == GitHub && uri.Host.Equals("github.com", StringComparison.OrdinalIgnoreCase))
        {
            // People paste the web address; the API of github.com lives on its own host.
            return DefaultGitHubApiUrl;
        }

        var text = uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
        var suffix = kind switch { GitLab => "/api/v4", Gitea => "/api/v1", _ => null };
        if (suffix is not null && text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            text = text[..^suffix.Length];
        }

        return text + "/";
    }

    /// <summary>A user name for basic authentication, or null when empty; no whitespace or <c>:</c>.</summary>
    public static string? NormalizeUsername(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.Length <= 100 && !value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c == ':')
            ? value
            : throw WardenException.Invalid("Invalid user name: at most 100 characters, without spaces or ':'.");
    }

    /// <summary>
    /// Checks a clone URL: https, http, ssh (a user name but no password) or file URL, or an absolute path to a local
    /// bare repository. Credentials never go in the URL: the connection holds them and the worker passes them to git
    /// out of band. Returns the URL trimmed.
    /// </summary>
    public static string RequireCloneUrl(string? value)
    {
        value = value?.Trim() ?? string.Empty;
        if (value.Length == 0 || value.Length > 2000 || value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw WardenException.Invalid("Invalid clone URL: give an https, ssh or file URL (or an absolute path to a bare repository) without spaces.");
        }

        if (value.StartsWith('/'))
        {
            return value.Split('/').Contains("..")
                ? throw WardenException.Invalid($"Invalid clone URL '{Shorten(value)}': a local path must not contain '..'.")
                : value;
        }

        if (ScpLikePattern().IsMatch(value))
        {
            throw WardenException.Invalid($"Invalid clone URL '{Shorten(value)}': write SSH addresses as URLs, e.g. ssh://git@github.com/owner/repo.git.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "ssh" or "file"))
        {
            throw WardenException.Invalid($"Invalid clone URL '{Shorten(value)}': use an https, http, ssh or file URL, or an absolute path.");
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw WardenException.Invalid($"Invalid clone URL '{Shorten(value)}': no query or fragment.");
        }

        if (uri.Scheme == "ssh" ? uri.UserInfo.Contains(':', StringComparison.Ordinal) : uri.UserInfo.Length > 0)
        {
            throw WardenException.Invalid("Invalid clone URL: credentials never go in the URL; set them on the repository's connection.");
        }

        if (uri.Scheme != "file" && (uri.Host.Length == 0 || uri.AbsolutePath.Trim('/').Length == 0))
        {
            throw WardenException.Invalid($"Invalid clone URL '{Shorten(value)}': it needs a host and a repository path.");
        }

        return value;
    }

    /// <summary>Whether git reaches <paramref name="cloneUrl"/> over HTTP(S), where a token can be sent.</summary>
    public static bool IsHttp(string cloneUrl) =>
        cloneUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || cloneUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The path of an http(s) or ssh clone URL without its <c>.git</c> suffix (<c>owner/repo</c>), or null.</summary>
    public static string? DeriveProjectPath(string cloneUrl)
    {
        if (!Uri.TryCreate(cloneUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http" or "ssh"))
        {
            return null;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        return PathPattern().IsMatch(path) ? path : null;
    }

    /// <summary>
    /// Checks a provider project path: <c>owner/repo</c> for GitHub and Gitea, <c>namespace/project</c> (groups may
    /// nest) for GitLab.
    /// </summary>
    public static string RequireProjectPath(string kind, string value)
    {
        value = value.Trim().Trim('/');
        if (value.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            value = value[..^4];
        }

        var segments = value.Split('/').Length;
        var ok = value.Length <= 255 && PathPattern().IsMatch(value) && (kind == GitLab ? segments >= 2 : segments == 2);
        return ok
            ? value
            : throw WardenException.Invalid(kind == GitLab
                ? $"Invalid project path '{Shorten(value)}': use the GitLab path namespace/project (groups may nest: group/subgroup/project)."
                : $"Invalid project path '{Shorten(value)}': use owner/repo.");
    }

    /// <summary>Checks a branch name against the rules of <c>git check-ref-format</c> that matter here.</summary>
    public static string RequireBranch(string? value)
    {
        value = value?.Trim() ?? string.Empty;
        var ok = value.Length is > 0 and <= 255
            && !value.StartsWith('-') && !value.StartsWith('/') && !value.EndsWith('/') && !value.EndsWith('.') && !value.EndsWith(".lock", StringComparison.Ordinal)
            && !value.Contains("..", StringComparison.Ordinal) && !value.Contains("//", StringComparison.Ordinal) && !value.Contains("@{", StringComparison.Ordinal)
            && !value.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '~' or '^' or ':' or '?' or '*' or '[' or '\\');
        return ok ? value : throw WardenException.Invalid($"Invalid branch name '{Shorten(value)}'.");
    }

    private static string Shorten(string? value) => value is null ? string.Empty : value.Length > 60 ? value[..60] + "…" : value;

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex ConnectionNamePattern();

    // Segments start with a letter or digit, so "." and ".." never appear and nothing starts with "-".
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathPattern();

    // git@github.com:owner/repo.git (scp-like syntax, which is not a URL).
    [GeneratedRegex(@"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)", RegexOptions.CultureInvariant)]
    private static partial Regex ScpLikePattern();
}
