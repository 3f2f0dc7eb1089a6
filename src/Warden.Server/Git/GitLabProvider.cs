using System.Net.Http.Headers;
using System.Text.Json;
using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>
/// GitLab's REST API v4 (gitlab.com or self-managed): <c>POST /api/v4/projects/{url-encoded path}/merge_requests</c>
/// with the token in <c>PRIVATE-TOKEN</c>. GitLab answers 409 when a merge request from the same source branch is
/// open; it is then found with <c>GET .../merge_requests?state=opened&amp;source_branch=&amp;target_branch=</c>.
/// </summary>
internal sealed class GitLabProvider(GitApiClient api) : IGitProvider
{
    private const string Provider = "GitLab";

    /// <inheritdoc />
    public string Kind => GitNames.GitLab;

    /// <inheritdoc />
    public async Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default)
    {
        var r = ProviderRequest.From(Provider, repository, head, @base, title);
        // The project id may be the full path, URL-encoded as one segment: group%2Fsubgroup%2Fproject.
        var requests = r.Api($"api/v4/projects/{Uri.EscapeDataString(r.Project)}/merge_requests");
        var response = await api.SendAsync(Provider, HttpMethod.Post, requests, h => Authenticate(h, r.Token), w =>
        {
            w.WriteString("source_branch", r.Head);
            w.WriteString("target_branch", r.Base);
            w.WriteString("title", r.Title);
            w.WriteString("description", body ?? string.Empty);
        }, r.Token, ct).ConfigureAwait(false);
        if (response.IsSuccess && response.Json is { } created)
        {
            return r.Read(created, created: true, Provider);
        }

        if (response.Status == 409)
        {
            var query = $"?state=opened&source_branch={Uri.EscapeDataString(r.Head)}&target_branch={Uri.EscapeDataString(r.Base)}";
            var open = await api.SendAsync(Provider, HttpMethod.Get, new Uri(requests + query), h => Authenticate(h, r.Token), null, r.Token, ct).ConfigureAwait(false);
            if (open.IsSuccess && open.Json is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0)
            {
                return r.Read(list[0], created: false, Provider);
            }
        }

        throw GitApiClient.Failure(Provider, $"to open a merge request on {r.Project} from {r.Head} into {r.Base}", response, r.Token);
    }

    private static void Authenticate(HttpRequestHeaders headers, string token)
    {
        headers.Add("PRIVATE-TOKEN", token);
        headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }
}
