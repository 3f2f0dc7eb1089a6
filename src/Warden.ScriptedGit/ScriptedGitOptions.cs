using System.Net;

namespace Warden.ScriptedGit;

/// <summary>How a <see cref="ScriptedGitServer"/> listens and what it requires; checked by <see cref="Validate"/>, which lists every problem at once.</summary>
public sealed record ScriptedGitOptions
{
    /// <summary><c>ip:port</c> to listen on; port 0 lets the OS choose.</summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>
    /// The folder holding the bare repositories (<c>{Root}/{owner}/{repo}.git</c>). Null: a new temporary folder that is
    /// deleted when the server is disposed.
    /// </summary>
    public string? Root { get; init; }

    /// <summary>
    /// The token every request must carry, or null to accept anonymous requests. Git over HTTP takes it as the password
    /// of basic authentication (or a bearer token); the APIs take it the way each provider does: GitHub
    /// <c>Authorization: Bearer</c> or <c>token</c>, GitLab <c>PRIVATE-TOKEN</c> or <c>Authorization: Bearer</c>, Gitea
    /// <c>Authorization: token</c>, <c>Bearer</c> or basic.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>When set, Git's basic authentication must also use this user name (most hosts ignore it when the password is a token).</summary>
    public string? Username { get; init; }

    /// <summary>Whether opening a pull request checks that both branches exist in the repository, as real hosts do.</summary>
    public bool CheckBranches { get; init; } = true;

    /// <summary>The git executable.</summary>
    public string GitExecutable { get; init; } = "git";

    /// <summary>The clock for <c>created_at</c> fields.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!TryParseListen(Listen, out _))
        {
            errors.Add($"Listen address '{Listen}' is not ip:port (for example 127.0.0.1:0).");
        }

        if (Token is { Length: 0 })
        {
            errors.Add("Token must be null or non-empty.");
        }

        if (Username is { Length: 0 } || (Username?.Contains(':', StringComparison.Ordinal) ?? false))
        {
            errors.Add("Username must be null or a non-empty name without ':'.");
        }

        if (Root is not null && !Path.IsPathRooted(Root))
        {
            errors.Add("Root must be an absolute path.");
        }

        if (string.IsNullOrWhiteSpace(GitExecutable))
        {
            errors.Add("GitExecutable must name the git executable.");
        }

        return errors;
    }

    /// <summary>Parses an <c>ip:port</c> listen address (<c>localhost</c> means the IPv4 loopback).</summary>
    public static bool TryParseListen(string? value, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            value = "127.0.0.1" + value["localhost".Length..];
        }

        if (!IPEndPoint.TryParse(value, out var parsed) || !value.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
