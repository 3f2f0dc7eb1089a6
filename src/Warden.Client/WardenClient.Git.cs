using System.Net.Http.Json;
using Warden.Client.Contracts;

namespace Warden.Client;

/// <summary>Git connections and repositories (<c>/api/v1/orgs/{org}/git/connections</c>, <c>/api/v1/orgs/{org}/repos</c>).</summary>
public sealed partial class WardenClient
{
    /// <summary><c>GET /api/v1/orgs/{org}/git/connections</c>.</summary>
    public Task<IReadOnlyList<GitConnectionDto>> ListGitConnectionsAsync(string org, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/git/connections", Json.IReadOnlyListGitConnectionDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/git/connections/{name}</c>.</summary>
    public Task<GitConnectionDto> GetGitConnectionAsync(string org, string name, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/git/connections/{E(name)}", Json.GitConnectionDto, ct);

    /// <summary><c>PUT /api/v1/orgs/{org}/git/connections/{name}</c>: creates or replaces a connection; the token is stored sealed and never returned.</summary>
    public async Task<GitConnectionDto> PutGitConnectionAsync(string org, string name, PutGitConnectionRequest request, CancellationToken ct = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, $"api/v1/orgs/{E(org)}/git/connections/{E(name)}")
        {
            Content = JsonContent.Create(request, Json.PutGitConnectionRequest),
        };
        using var response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.GitConnectionDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /api/v1/orgs/{org}/git/connections/{name}</c> (409 while repositories use it).</summary>
    public Task DeleteGitConnectionAsync(string org, string name, CancellationToken ct = default) =>
        DeleteAsync($"api/v1/orgs/{E(org)}/git/connections/{E(name)}", ct);

    /// <summary><c>GET /api/v1/orgs/{org}/repos</c>.</summary>
    public Task<IReadOnlyList<RepositoryDto>> ListRepositoriesAsync(string org, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/repos", Json.IReadOnlyListRepositoryDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/repos/{name}</c> (the name may hold <c>/</c>).</summary>
    public Task<RepositoryDto> GetRepositoryAsync(string org, string name, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/repos/{Segments(name)}", Json.RepositoryDto, ct);

    /// <summary><c>PUT /api/v1/orgs/{org}/repos/{name}</c>: adds or replaces a repository.</summary>
    public async Task<RepositoryDto> PutRepositoryAsync(string org, string name, PutRepositoryRequest request, CancellationToken ct = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, $"api/v1/orgs/{E(org)}/repos/{Segments(name)}")
        {
            Content = JsonContent.Create(request, Json.PutRepositoryRequest),
        };
        using var response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.RepositoryDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /api/v1/orgs/{org}/repos/{name}</c>: removes it from Warden (not from its host).</summary>
    public Task DeleteRepositoryAsync(string org, string name, CancellationToken ct = default) =>
        DeleteAsync($"api/v1/orgs/{E(org)}/repos/{Segments(name)}", ct);
}
