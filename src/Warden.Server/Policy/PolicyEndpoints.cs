using System.Globalization;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Policy;
using Warden.Server.Auth;

namespace Warden.Server.Policy;

/// <summary>
/// <c>/api/v1/orgs/{org}/policies</c> (versions: push, list, show, diff) and <c>/api/v1/orgs/{org}/authorize</c> (decisions).
/// </summary>
public static class PolicyEndpoints
{
    /// <summary>Maps the endpoints onto an authenticated group.</summary>
    public static void MapPolicyApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/orgs/{org}/policies").WithTags("Policies");
        group.MapGet("/", async Task<Ok<List<PolicyVersionDto>>> (string org, HttpContext ctx, PolicyStore store) =>
        {
            var versions = (await store.ListAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(v => From(v)).ToList();
            if (versions.Count == 0)
            {
                versions.Add(DefaultDto(includeFiles: false));
            }

            return TypedResults.Ok(versions);
        }).WithName("ListPolicyVersions");
        group.MapGet("/{version}", async Task<Ok<PolicyVersionDto>> (string org, string version, HttpContext ctx, PolicyStore store) =>
            TypedResults.Ok(await GetVersionAsync(ctx, store, org, version))).WithName("GetPolicyVersion");
        group.MapPost("/", async Task<Created<PushPolicyResponse>> (string org, PushPolicyRequest body, HttpContext ctx, PolicyStore store) =>
        {
            if (body.Files is null || body.Files.Count == 0)
            {
                throw WardenException.Invalid("files is required: the bundle's files by relative path.");
            }

            PolicyBundle bundle;
            try
            {
                bundle = PolicyBundle.Load(body.Files);
            }
            catch (PolicyBundleException e)
            {
                throw new WardenException(WardenErrorKind.Validation, "The policy bundle does not parse: " + e.Errors[0]) { Errors = e.Errors };
            }

            // A policy set that fails validation or its own tests is never activated.
            var problems = bundle.Check();
            if (problems.Count > 0)
            {
                throw new WardenException(WardenErrorKind.Validation, $"The policy bundle has {problems.Count} problem(s); first: {problems[0]}") { Errors = problems };
            }

            var (version, created) = await store.ActivateAsync(ctx.GetActor(), org, bundle.Files, bundle.ContentHash, body.Message, ctx.RequestAborted);
            var tests = bundle.RunTests();
            return TypedResults.Created($"/api/v1/orgs/{org}/policies/v{version.Version}", new PushPolicyResponse(From(version), created, bundle.Policies.Policies.Count, tests.TestsPassed));
        }).WithName("PushPolicies");
        group.MapGet("/diff", async Task<Ok<PolicyDiffDto>> (string org, string from, string to, HttpContext ctx, PolicyStore store) =>
        {
            var a = await GetVersionAsync(ctx, store, org, from);
            var b = await GetVersionAsync(ctx, store, org, to);
            return TypedResults.Ok(new PolicyDiffDto(a.Version, b.Version, Diff(a.Files!, b.Files!)));
        }).WithName("DiffPolicyVersions");

        api.MapPost("/orgs/{org}/authorize", async Task<Ok<AuthorizeResponse>> (string org, AuthorizeRequest body, HttpContext ctx, PolicyDecisions decisions) =>
            TypedResults.Ok(await decisions.AuthorizeAsync(ctx.GetActor(), org, body, ctx.RequestAborted))).WithTags("Policies").WithName("Authorize");
    }

    /// <summary>A unified-style diff of two bundles, file by file; unchanged files are left out.</summary>
    public static string Diff(IReadOnlyDictionary<string, string> from, IReadOnlyDictionary<string, string> to)
    {
        var output = new StringBuilder();
        foreach (var name in from.Keys.Union(to.Keys).Order(StringComparer.Ordinal))
        {
            var a = from.GetValueOrDefault(name, string.Empty);
            var b = to.GetValueOrDefault(name, string.Empty);
            if (a == b)
            {
                continue;
            }

            output.Append("--- ").Append(from.ContainsKey(name) ? "a/" + name : "/dev/null").Append('\n');
            output.Append("+++ ").Append(to.ContainsKey(name) ? "b/" + name : "/dev/null").Append('\n');
            foreach (var line in new InlineDiffBuilder(new DiffPlex.Differ()).BuildDiffModel(a, b, ignoreWhitespace: false).Lines)
            {
                output.Append(line.Type switch { ChangeType.Inserted => '+', ChangeType.Deleted => '-', _ => ' ' }).Append(line.Text).Append('\n');
            }
        }

        return output.ToString();
    }

    /// <summary>Reads "v3", "3", "default" or "active".</summary>
    public static async Task<PolicyVersionDto> GetVersionAsync(HttpContext ctx, PolicyStore store, string org, string version)
    {
        if (version == PolicyDecisions.DefaultVersion)
        {
            return DefaultDto(includeFiles: true);
        }

        if (version == "active")
        {
            var active = await store.GetActiveAsync(ctx.GetActor(), org, ctx.RequestAborted);
            return active is null ? DefaultDto(includeFiles: true) : From(active);
        }

        var text = version.StartsWith('v') ? version[1..] : version;
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? From(await store.GetAsync(ctx.GetActor(), org, n, ctx.RequestAborted))
            : throw WardenException.Invalid($"'{version}' is not a version: use v1, 1, active or default.");
    }

    private static PolicyVersionDto From(PolicyVersion v) =>
        new("v" + v.Version.ToString(CultureInfo.InvariantCulture), v.ContentHash, v.Message, v.CreatedBy, v.CreatedAt, v.Files);

    private static PolicyVersionDto DefaultDto(bool includeFiles) =>
        new(PolicyDecisions.DefaultVersion, PolicyBundle.Default.ContentHash, "Warden's shipped defaults", "warden", null, includeFiles ? PolicyBundle.Default.Files : null);
}
