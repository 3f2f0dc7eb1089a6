using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data.Git;
using Warden.Server.Auth;

namespace Warden.Server.Git;

/// <summary>
/// <c>/api/v1/orgs/{org}/git/connections</c> and <c>/api/v1/orgs/{org}/repos</c>: Git connections (tokens go in,
/// never come out) and the repositories agent sessions work on. The stores decide who may do what.
/// </summary>
public static class GitAdminEndpoints
{
    /// <summary>Maps the endpoints onto <paramref name="api"/> (already behind authentication).</summary>
    public static void MapGitApi(this RouteGroupBuilder api)
    {
        var connections = api.MapGroup("/orgs/{org}/git/connections").WithTags("Git");
        connections.MapGet(string.Empty, async Task<Ok<List<GitConnectionDto>>> (string org, HttpContext ctx, GitConnectionStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListGitConnections");
        connections.MapGet("/{name}", async Task<Ok<GitConnectionDto>> (string org, string name, HttpContext ctx, GitConnectionStore store) =>
            TypedResults.Ok(ToDto(await store.GetAsync(ctx.GetActor(), org, name, ctx.RequestAborted)))).WithName("GetGitConnection");
        connections.MapPut("/{name}", async Task<Ok<GitConnectionDto>> (string org, string name, PutGitConnectionRequest body, HttpContext ctx, GitConnectionStore store) =>
            TypedResults.Ok(ToDto(await store.PutAsync(ctx.GetActor(), org, new GitConnectionSpec(name, body.Kind, body.ApiUrl, body.Username, body.Credential), ctx.RequestAborted))))
            .WithName("PutGitConnection");
        connections.MapDelete("/{name}", async Task<NoContent> (string org, string name, HttpContext ctx, GitConnectionStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, name, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteGitConnection");

        var repos = api.MapGroup("/orgs/{org}/repos").WithTags("Repositories");
        repos.MapGet(string.Empty, async Task<Ok<List<RepositoryDto>>> (string org, HttpContext ctx, RepositoryStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListRepositories");
        // Repository names hold '/' (acme/api), so the name is the rest of the path.
        repos.MapGet("/{**name}", async Task<Ok<RepositoryDto>> (string org, string name, HttpContext ctx, RepositoryStore store) =>
            TypedResults.Ok(ToDto(await store.GetAsync(ctx.GetActor(), org, name, ctx.RequestAborted)))).WithName("GetRepository");
        repos.MapPut("/{**name}", async Task<Ok<RepositoryDto>> (string org, string name, PutRepositoryRequest body, HttpContext ctx, RepositoryStore store) =>
            TypedResults.Ok(ToDto(await store.PutAsync(ctx.GetActor(), org, new GitRepositorySpec(name, body.CloneUrl, body.Connection, body.DefaultBranch, body.Project), ctx.RequestAborted))))
            .WithName("PutRepository");
        repos.MapDelete("/{**name}", async Task<NoContent> (string org, string name, HttpContext ctx, RepositoryStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, name, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteRepository");
    }

    /// <summary>The API form of a connection (never its token).</summary>
    public static GitConnectionDto ToDto(GitConnection c) => new(c.Name, c.Kind, c.ApiUrl, c.Username, c.CredentialSet, c.CreatedBy, c.CreatedAt, c.UpdatedAt);

    /// <summary>The API form of a repository.</summary>
    public static RepositoryDto ToDto(GitRepository r) => new(r.Name, r.CloneUrl, r.Connection, r.Kind, r.DefaultBranch, r.ProjectPath, r.CreatedBy, r.CreatedAt, r.UpdatedAt);
}
