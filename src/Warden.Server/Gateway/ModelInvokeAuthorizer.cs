using System.Collections.Concurrent;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Values;
using Warden.Server.Policy;

namespace Warden.Server.Gateway;

/// <summary>
/// Asks the org's active policy set whether a virtual key may invoke a model (<c>model.invoke</c>, principal
/// <c>Warden::ApiKey</c> in its user or team, resource <c>Warden::Model</c> named by the alias). The active set is
/// looked up at most every <see cref="MaxAge"/> per org so the decision itself is an in-memory evaluation; a push
/// through this replica is seen at once (the bundle is re-read when its version changes).
/// </summary>
public sealed class ModelInvokeAuthorizer(PolicyDecisions decisions, TimeProvider time)
{
    /// <summary>How long an org's active policy version is reused before it is checked again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private static readonly Actor GatewayActor = Actor.System("model-gateway");
    private static readonly EntityUid InvokeAction = new("Warden::Action", "model.invoke");
    private readonly ConcurrentDictionary<string, (string Version, PolicyBundle Bundle, DateTimeOffset At)> _active = new(StringComparer.Ordinal);

    /// <summary>The decision, the policy-set version and the determining policy ids.</summary>
    public sealed record Result(bool Allowed, string PolicySetVersion, IReadOnlyList<string> Determining, IReadOnlyList<string> Erroring);

    /// <summary>Decides whether <paramref name="key"/> may invoke <paramref name="alias"/> served by <paramref name="provider"/>.</summary>
    public async ValueTask<Result> AuthorizeAsync(VirtualKeyIdentity key, string alias, string provider, long estimatedTokens, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_active.TryGetValue(key.OrgId, out var active) || now - active.At >= MaxAge)
        {
            var (version, bundle) = await decisions.GetActiveAsync(GatewayActor, key.OrgName, cancellationToken).ConfigureAwait(false);
            active = (version, bundle, now);
            _active[key.OrgId] = active;
        }

        var principal = new EntityUid("Warden::ApiKey", key.Id);
        var parents = new List<EntityUid>(2);
        if (key.UserId is { } user)
        {
            parents.Add(new EntityUid("Warden::User", user));
        }

        if (key.TeamId is { } team)
        {
            parents.Add(new EntityUid("Warden::Team", team));
        }

        var resource = new EntityUid("Warden::Model", alias);
        var entities = new EntityStore(
        [
            new Entity(principal, parents: parents),
            new Entity(resource, new Dictionary<string, Value>(StringComparer.Ordinal) { ["provider"] = new StringValue(provider) }),
            .. active.Bundle.Schema.ActionEntities(),
        ]);
        var context = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal) { ["estimatedTokens"] = LongValue.Of(estimatedTokens) });
        var response = Authorizer.IsAuthorized(new AuthorizationRequest(principal, InvokeAction, resource, context), active.Bundle.Policies, entities);
        return new Result(response.Decision == Decision.Allow, $"{active.Version} {active.Bundle.ContentHash}", response.Reasons,
            response.Errors.Select(e => e.PolicyId).ToList());
    }
}
