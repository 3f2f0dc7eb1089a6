using System.Text.Json;
using Warden.Data;
using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>What every pull-request provider checks first, and reading the pull request a host answers with.</summary>
internal sealed record ProviderRequest(ResolvedGitConnection Connection, Uri ApiRoot, string Token, string Project, string Head, string Base, string Title)
{
    /// <summary>The project path's first segment (the owner on GitHub and Gitea).</summary>
    public string Owner => Project.Split('/')[0];

    /// <summary>The project path's last segment (the repository name on GitHub and Gitea).</summary>
    public string Repo => Project.Split('/')[^1];

    /// <summary>Checks that <paramref name="repository"/> can have a pull request opened on <paramref name="provider"/>.</summary>
    public static ProviderRequest From(string provider, ResolvedRepository repository, string head, string @base, string title)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var connection = repository.Connection
            ?? throw WardenException.Invalid($"Repository '{repository.Name}' has no Git connection; pull requests on {provider} need one.");
        if (connection.Credential is not { Length: > 0 } token)
        {
            throw WardenException.Invalid($"Git connection '{connection.Name}' has no token; opening a pull request on {provider} needs one.");
        }

        if (connection.ApiUrl is null || !Uri.TryCreate(connection.ApiUrl, UriKind.Absolute, out var root))
        {
            throw WardenException.Invalid($"Git connection '{connection.Name}' has no API URL.");
        }

        if (repository.ProjectPath is null)
        {
            throw WardenException.Invalid($"Repository '{repository.Name}' has no project path on {provider}; set it (warden repo add {repository.Name} --url ... --project owner/repo).");
        }

        if (string.IsNullOrWhiteSpace(title))
        {
            throw WardenException.Invalid("A pull request needs a title.");
        }

        return new ProviderRequest(connection, root, token, repository.ProjectPath, GitNames.RequireBranch(head), GitNames.RequireBranch(@base), title.Trim());
    }

    /// <summary>A URL under the API root; <paramref name="relative"/> must already be escaped.</summary>
    public Uri Api(string relative) => new(ApiRoot, relative);

    /// <summary>
    /// Reads a pull request from a host's JSON: <c>number</c> or <c>iid</c>, <c>html_url</c> or <c>web_url</c>,
    /// <c>state</c>, and the branches from <c>head.ref</c>/<c>base.ref</c> or <c>source_branch</c>/<c>target_branch</c>.
    /// </summary>
    public PullRequestInfo Read(JsonElement pull, bool created, string provider)
    {
        var number = pull.TryGetProperty("iid", out var iid) && iid.ValueKind == JsonValueKind.Number ? iid.GetInt32()
            : pull.TryGetProperty("number", out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt32()
            : throw WardenException.Upstream($"{provider} answered with a pull request without a number.");
        var url = Text(pull, "html_url") ?? Text(pull, "web_url");
        return new PullRequestInfo(
            number,
            url is not null && Uri.TryCreate(url, UriKind.Absolute, out var web) ? web : throw WardenException.Upstream($"{provider} answered with a pull request without a web address."),
            Text(pull, "state") ?? "open",
            Branch(pull, "head", "source_branch") ?? Head,
            Branch(pull, "base", "target_branch") ?? Base,
            created);
    }

    /// <summary>The branch of a GitHub/Gitea <c>head</c>/<c>base</c> object, or the GitLab field.</summary>
    public static string? Branch(JsonElement pull, string objectName, string gitLabField) =>
        pull.TryGetProperty(objectName, out var o) && o.ValueKind == JsonValueKind.Object ? Text(o, "ref") : Text(pull, gitLabField);

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
