using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Warden.Audit;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Policy;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Json;
using Warden.Policy.Parsing;
using Warden.Policy.Validation;
using Warden.Policy.Values;

namespace Warden.Server.Policy;

/// <summary>
/// Answers authorisation requests against an org's active policy set (Warden's defaults until the org pushes its own).
/// A satisfied permit annotated <c>@approval("required")</c> turns an allow into "allow once a person approves". Denials
/// and approval requirements always go to the audit ledger with the policy-set version and the determining ids.
/// </summary>
public sealed class PolicyDecisions(PolicyStore store, IAuditRecorder audit)
{
    /// <summary>The version label of Warden's shipped policy set.</summary>
    public const string DefaultVersion = "default";

    private readonly ConcurrentDictionary<string, (string Version, PolicyBundle Bundle)> _active = new(StringComparer.Ordinal);

    /// <summary>The org's active bundle and its version label.</summary>
    public async Task<(string Version, PolicyBundle Bundle)> GetActiveAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        var (_, version, bundle) = await ResolveAsync(actor, org, cancellationToken).ConfigureAwait(false);
        return (version, bundle);
    }

    private async Task<(string OrgId, string Version, PolicyBundle Bundle)> ResolveAsync(Actor actor, string org, CancellationToken cancellationToken)
    {
        // One small query per call keeps every replica current; the parsed bundle is cached per version.
        var (orgId, number) = await store.GetActiveVersionNumberAsync(actor, org, cancellationToken).ConfigureAwait(false);
        var label = number is { } n ? "v" + n.ToString(CultureInfo.InvariantCulture) : DefaultVersion;
        if (_active.TryGetValue(orgId, out var cached) && cached.Version == label)
        {
            return (orgId, cached.Version, cached.Bundle);
        }

        var bundle = number is null
            ? PolicyBundle.Default
            : PolicyBundle.Load((await store.GetAsync(actor, org, number.Value, cancellationToken).ConfigureAwait(false)).Files!);
        _active[orgId] = (label, bundle);
        return (orgId, label, bundle);
    }

    /// <summary>
    /// Decides a request; malformed or schema-violating requests are a validation error naming the problem.
    /// <paramref name="record"/> is false only for what-if questions from the policy page, which decide nothing.
    /// </summary>
    public async Task<AuthorizeResponse> AuthorizeAsync(Actor actor, string org, AuthorizeRequest body, CancellationToken cancellationToken = default, bool record = true)
    {
        var (orgId, version, bundle) = await ResolveAsync(actor, org, cancellationToken).ConfigureAwait(false);
        var request = BuildRequest(body, bundle, out var entities);
        var response = Authorizer.IsAuthorized(request, bundle.Policies, entities);
        var approval = response.Decision == Decision.Allow && response.Reasons.Any(id => RequiresApproval(bundle, id));
        var result = new AuthorizeResponse(
            response.Decision == Decision.Allow ? "allow" : "deny",
            approval,
            response.Reasons,
            response.Errors.Select(e => new PolicyErrorDto(e.PolicyId, e.Message)).ToList(),
            version,
            bundle.ContentHash);

        if (record && (response.Decision == Decision.Deny || approval))
        {
            await audit.RecordAsync(new AuditEventDraft
            {
                OrgId = orgId,
                Actor = AuditDrafts.ActorOf(actor),
                Action = "policy.decision",
                Resource = new AuditResource(body.Resource.Type, body.Resource.Id),
                Outcome = response.Decision == Decision.Deny ? AuditOutcome.Denied : AuditOutcome.Success,
                Policy = new PolicyDecision
                {
                    Effect = response.Decision == Decision.Allow ? PolicyEffect.Allow : PolicyEffect.Deny,
                    PolicySetVersion = $"{version} {bundle.ContentHash}",
                    DeterminingPolicies = response.Reasons,
                    ErroringPolicies = response.Errors.Select(e => e.PolicyId).ToList(),
                },
                Details = AuditDrafts.Details(new Dictionary<string, string?>
                {
                    ["principal"] = $"{body.Principal.Type}::\"{body.Principal.Id}\"",
                    ["action"] = body.Action.Id,
                    ["approvalRequired"] = approval ? "true" : "false",
                }),
            }, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>True when the policy is a permit annotated <c>@approval("required")</c>.</summary>
    public static bool RequiresApproval(PolicyBundle bundle, string policyId) =>
        bundle.Policies.Policies.FirstOrDefault(p => p.Id == policyId) is { Effect: Effect.Permit } p &&
        p.Annotations.TryGetValue("approval", out var value) && string.Equals(value, "required", StringComparison.OrdinalIgnoreCase);

    private static AuthorizationRequest BuildRequest(AuthorizeRequest body, PolicyBundle bundle, out EntityStore entities)
    {
        if (body.Principal is null || body.Action is null || body.Resource is null)
        {
            throw WardenException.Invalid("principal, action and resource are required.");
        }

        var principal = new EntityUid(body.Principal.Type, body.Principal.Id);
        var action = new EntityUid(body.Action.Type, body.Action.Id);
        var resource = new EntityUid(body.Resource.Type, body.Resource.Id);
        if (!bundle.Schema.Actions.TryGetValue(action, out var actionSchema))
        {
            throw WardenException.Invalid($"Unknown action {action}. Actions: {string.Join(", ", bundle.Schema.Actions.Keys.Select(k => k.Id))}.");
        }

        try
        {
            var context = body.Context is { ValueKind: JsonValueKind.Object } c ? CedarJson.ParseContext(c, actionSchema.Context) : RecordValue.Empty;
            var provided = body.Entities is { ValueKind: JsonValueKind.Array } e ? CedarJson.ParseEntities(e, bundle.Schema).All : [];
            entities = new EntityStore(provided.Concat(bundle.Schema.ActionEntities()));
            var request = new AuthorizationRequest(principal, action, resource, context);
            var problems = RequestValidator.Validate(request, bundle.Schema);
            return problems.Count > 0 ? throw WardenException.Invalid("The request does not match the schema: " + string.Join("; ", problems)) : request;
        }
        catch (ParseException ex)
        {
            throw WardenException.Invalid($"Invalid context or entities: {ex.Error.Message}");
        }
    }
}
