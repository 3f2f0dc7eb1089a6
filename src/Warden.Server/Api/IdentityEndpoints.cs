using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Server.Auth;

namespace Warden.Server.Api;

/// <summary><c>/api/v1</c>: the signed-in user, orgs, teams, users and tokens.</summary>
public static class IdentityEndpoints
{
    /// <summary>Maps the identity endpoints onto <paramref name="api"/> (already behind authentication).</summary>
    public static void MapIdentityApi(this RouteGroupBuilder api)
    {
        api.MapGet("/me", async Task<Ok<MeDto>> (HttpContext ctx, UserStore users, OrgStore orgs) =>
            TypedResults.Ok(Dto.From(await users.GetMeAsync(ctx.GetActor(), orgs, ctx.RequestAborted))))
            .WithName("GetMe").WithTags("Identity");

        api.MapPut("/me/password", async Task<NoContent> (SetPasswordRequest body, HttpContext ctx, UserStore users) =>
        {
            await users.SetOwnPasswordAsync(ctx.GetActor(), body.CurrentPassword, body.NewPassword, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("SetPassword").WithTags("Identity");

        var orgs = api.MapGroup("/orgs").WithTags("Orgs");
        orgs.MapGet("/", async Task<Ok<List<OrgDto>>> (HttpContext ctx, OrgStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), ctx.RequestAborted)).Select(Dto.From).ToList()))
            .WithName("ListOrgs");
        orgs.MapPost("/", async Task<Created<OrgDto>> (CreateOrgRequest body, HttpContext ctx, OrgStore store) =>
        {
            var org = await store.CreateAsync(ctx.GetActor(), body.Name, body.DisplayName, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{org.Name}", Dto.From(org));
        }).WithName("CreateOrg");
        orgs.MapGet("/{org}", async Task<Ok<OrgDto>> (string org, HttpContext ctx, OrgStore store) =>
            TypedResults.Ok(Dto.From(await store.GetAsync(ctx.GetActor(), org, ctx.RequestAborted))))
            .WithName("GetOrg");

        var teams = orgs.MapGroup("/{org}/teams").WithTags("Teams");
        teams.MapGet("/", async Task<Ok<List<TeamDto>>> (string org, HttpContext ctx, TeamStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(Dto.From).ToList()))
            .WithName("ListTeams");
        teams.MapPost("/", async Task<Created<TeamDto>> (string org, CreateTeamRequest body, HttpContext ctx, TeamStore store) =>
        {
            var team = await store.CreateAsync(ctx.GetActor(), org, body.Name, body.DisplayName, body.Description, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{org}/teams/{team.Name}", Dto.From(team));
        }).WithName("CreateTeam");
        teams.MapGet("/{team}", async Task<Ok<TeamDto>> (string org, string team, HttpContext ctx, TeamStore store) =>
            TypedResults.Ok(Dto.From(await store.GetAsync(ctx.GetActor(), org, team, ctx.RequestAborted))))
            .WithName("GetTeam");
        teams.MapDelete("/{team}", async Task<NoContent> (string org, string team, HttpContext ctx, TeamStore store) =>
        {
            await store.DeleteAsync(ctx.GetActor(), org, team, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("DeleteTeam");
        teams.MapGet("/{team}/members", async Task<Ok<List<UserDto>>> (string org, string team, HttpContext ctx, TeamStore store) =>
            TypedResults.Ok((await store.ListMembersAsync(ctx.GetActor(), org, team, ctx.RequestAborted)).Select(Dto.From).ToList()))
            .WithName("ListTeamMembers");
        teams.MapPost("/{team}/members", async Task<NoContent> (string org, string team, AddTeamMemberRequest body, HttpContext ctx, TeamStore store) =>
        {
            await store.AddMemberAsync(ctx.GetActor(), org, team, body.User, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("AddTeamMember");
        teams.MapDelete("/{team}/members/{user}", async Task<NoContent> (string org, string team, string user, HttpContext ctx, TeamStore store) =>
        {
            await store.RemoveMemberAsync(ctx.GetActor(), org, team, user, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("RemoveTeamMember");

        var users = orgs.MapGroup("/{org}/users").WithTags("Users");
        users.MapGet("/", async Task<Ok<List<UserDto>>> (string org, HttpContext ctx, UserStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(Dto.From).ToList()))
            .WithName("ListUsers");
        users.MapPost("/", async Task<Created<UserDto>> (string org, CreateUserRequest body, HttpContext ctx, UserStore store) =>
        {
            var user = await store.CreateAsync(ctx.GetActor(), org, new NewUser(body.Name, body.DisplayName, body.Email, body.Role, body.Password), ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{org}/users/{user.Name}", Dto.From(user));
        }).WithName("CreateUser");
        users.MapGet("/{user}", async Task<Ok<UserDto>> (string org, string user, HttpContext ctx, UserStore store) =>
            TypedResults.Ok(Dto.From(await store.GetAsync(ctx.GetActor(), org, user, ctx.RequestAborted))))
            .WithName("GetUser");
        users.MapPatch("/{user}", async Task<Ok<UserDto>> (string org, string user, UpdateUserRequest body, HttpContext ctx, UserStore store) =>
            TypedResults.Ok(Dto.From(await store.SetRoleAsync(ctx.GetActor(), org, user, body.Role, ctx.RequestAborted))))
            .WithName("UpdateUser");
        users.MapDelete("/{user}", async Task<NoContent> (string org, string user, HttpContext ctx, UserStore store) =>
        {
            await store.RemoveAsync(ctx.GetActor(), org, user, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("RemoveUser");

        var tokens = api.MapGroup("/tokens").WithTags("Tokens");
        tokens.MapGet("/", async Task<Ok<List<TokenDto>>> (HttpContext ctx, TokenStore store, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            return TypedResults.Ok((await store.ListAsync(ctx.GetActor(), ctx.RequestAborted)).Select(t => Dto.From(t, now)).ToList());
        }).WithName("ListTokens");
        tokens.MapPost("/", async Task<Created<CreatedTokenDto>> (CreateTokenRequest body, HttpContext ctx, TokenStore store, TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            if (body.ExpiresInDays is < 1)
            {
                throw WardenException.Invalid("expiresInDays must be at least 1 (or omitted for no expiry).");
            }

            var expires = body.ExpiresInDays is { } days ? now.AddDays(days) : (DateTimeOffset?)null;
            var created = await store.CreateAsync(ctx.GetActor(), body.Name, expires, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/tokens/{created.Token.Id}", new CreatedTokenDto(Dto.From(created.Token, now), created.Secret));
        }).WithName("CreateToken");
        tokens.MapDelete("/{id}", async Task<NoContent> (string id, HttpContext ctx, TokenStore store) =>
        {
            await store.RevokeAsync(ctx.GetActor(), id, ctx.RequestAborted);
            return TypedResults.NoContent();
        }).WithName("RevokeToken");
    }

    /// <summary>Maps <c>POST /api/v1/auth/login</c> and <c>/logout</c>, which work without prior authentication.</summary>
    public static void MapAuthApi(this RouteGroupBuilder api)
    {
        api.MapPost("/auth/login", async Task<Ok<MeDto>> (LoginRequest body, HttpContext ctx, SignInService signIn, UserStore users, OrgStore orgs) =>
        {
            var actor = await signIn.SignInWithPasswordAsync(ctx, body.Username, body.Password);
            return TypedResults.Ok(Dto.From(await users.GetMeAsync(actor, orgs, ctx.RequestAborted)));
        }).WithName("Login").WithTags("Identity").AllowAnonymous();
    }
}
