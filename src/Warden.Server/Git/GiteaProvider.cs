using System.Net.Http.Headers;
using System.Text.Json;
using Warden.Data.Git;

namespace Warden.Server.Git;

/// <summary>
/// The REST API v1 of Gitea and Forgejo: <c>POST /api/v1/repos/{owner}/{repo}/pulls</c> with
/// <c>Authorization: token ...</c>. When a pull request for the same branches is open the host answers 409 (or 422 on
/// some versions); it is then found among the open pull requests (<c>GET .../pulls?state=open</c>, paged), which every
/// version supports.
/// </summary>
internal sealed class GiteaProvider(GitApiClient api) : IGitProvider
{
    private const string Provider = "Gitea";
    private const int PageSize = 50;
    private const int MaxPages = 20;

    /// <inheritdoc />
    public string Kind => GitNames.Gitea;

    /// <inheritdoc />
    public async Task<PullRequestInfo?> OpenPullRequestAsync(ResolvedRepository repository, string head, string @base, string title, string body, CancellationToken ct = default)
    {
        var r = ProviderRequest.From(Provider, repository, head, @base, title);
        var pulls = r.Api($"api/v1/repos/{Uri.EscapeDataString(r.Owner)}/{Uri.EscapeDataString(r.Repo)}/pulls");
        var response = await api.SendAsync(Provider, HttpMethod.Post, pulls, h => Authenticate(h, r.Token), w =>
        {
            w.WriteString("head", r.Head);
            w.WriteString("base", r.Base);
            w.WriteString("title", r.Title);
            w.WriteString("body", body ?? string.Empty);
        }, r.Token, ct).ConfigureAwait(false);
        if (response.IsSuccess && response.Json is { } created)
        {
            return r.Read(created, created: true, Provider);
        }

        if (response.Status == 409 || (response.Status == 422 && response.ProviderMessage().Contains("already exists", StringComparison.OrdinalIgnoreCase)))
        {
            for (var page = 1; page <= MaxPages; page++)
            {
                var open = await api.SendAsync(Provider, HttpMethod.Get, new Uri($"{pulls}?state=open&page={page}&limit={PageSize}"),
                    h => Authenticate(h, r.Token), null, r.Token, ct).ConfigureAwait(false);
                if (!open.IsSuccess || open.Json is not { ValueKind: JsonValueKind.Array } list || list.GetArrayLength() == 0)
                {
                    break;
                }

                foreach (var pull in list.EnumerateArray())
                {
                    if (ProviderRequest.Branch(pull, "head", "head") == r.Head && ProviderRequest.Branch(pull, "base", "base") == r.Base)
                    {
                        return r.Read(pull, created: false, Provider);
                    }
                }

                if (list.GetArrayLength() < PageSize)
                {
                    break;
                }
            }
        }

        throw GitApiClient.Failure(Provider, $"to open a pull request on {r.Project} from {r.Head} into {r.Base}", response, r.Token);
    }

    private static void Authenticate(HttpRequestHeaders headers, string token)
    {
        headers.Authorization = new AuthenticationHeaderValue("token", token);
        headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }
}
