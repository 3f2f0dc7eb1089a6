using System.Net.Http.Headers;
using System.Text.Json;
using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>
/// GitHub's REST API (github.com or GitHub Enterprise Server): <c>POST /repos/{owner}/{repo}/pulls</c> with a bearer
/// token, <c>Accept: application/vnd.github+json</c> and <c>X-GitHub-Api-Version: 2022-11-28</c>. GitHub answers 422
/// when a pull request for the same head is already open; that one is then found with
/// <c>GET /repos/{owner}/{repo}/pulls?head=owner:branch&amp;state=open</c> and returned.
/// </summary>
internal sealed class GitHubProvider(GitApiClient api) : IGitProvider
{
    private const string Provider = "GitHub";

    /// <inheritdoc />
    public string Kind => GitNames.GitHub;

    /// <inheritdoc />
    public async Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default)
    {
        var r = ProviderRequest.From(Provider, repository, head, @base, title);
        var pulls = r.Api($"repos/{Uri.EscapeDataString(r.Owner)}/{Uri.EscapeDataString(r.Repo)}/pulls");
        var response = await api.SendAsync(Provider, HttpMethod.Post, pulls, h => Authenticate(h, r.Token), w =>
        {
            w.WriteString("title", r.Title);
            w.WriteString("head", r.Head);
            w.WriteString("base", r.Base);
            w.WriteString("body", body ?? string.Empty);
        }, r.Token, ct).ConfigureAwait(false);
        if (response.IsSuccess && response.Json is { } created)
        {
            return r.Read(created, created: true, Provider);
        }

        if (response.Status == 422 && response.ProviderMessage().Contains("already exists", StringComparison.OrdinalIgnoreCase))
        {
            var query = $"?head={Uri.EscapeDataString(r.Owner + ":" + r.Head)}&base={Uri.EscapeDataString(r.Base)}&state=open";
            var open = await api.SendAsync(Provider, HttpMethod.Get, new Uri(pulls + query), h => Authenticate(h, r.Token), null, r.Token, ct).ConfigureAwait(false);
            if (open.IsSuccess && open.Json is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0)
            {
                return r.Read(list[0], created: false, Provider);
            }
        }

        throw GitApiClient.Failure(Provider, $"to open a pull request on {r.Project} from {r.Head} into {r.Base}", response, r.Token);
    }

    private static void Authenticate(HttpRequestHeaders headers, string token)
    {
        headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github+json"));
        headers.Add("X-GitHub-Api-Version", "2022-11-28");
    }
}
