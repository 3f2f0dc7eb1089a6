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
/// <remarks>
/// The entities of a decision (the key in its user and team, the model with its provider, and every action of the
/// schema with its groups) depend only on the bundle, the key and the route target, so the entity store is built once
/// per such combination and reused for as long as the bundle stays active; building it per call (the schema's
/// actions and their ancestor closure) was the largest part of the decision's cost. Only the context (the estimated
/// tokens) is made per call.
/// </remarks>
public sealed class ModelInvokeAuthorizer(PolicyDecisions decisions, TimeProvider time)
{
    /// <summary>How long an org's active policy version is reused before it is checked again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    /// <summary>Entity stores kept per bundle; beyond it the cache starts over (keys × route targets is normally small).</summary>
    internal const int MaxCachedStores = 10_000;

    private static readonly Actor GatewayActor = Actor.System("model-gateway");
    private static readonly EntityUid InvokeAction = new("Warden::Action", "model.invoke");
    private readonly ConcurrentDictionary<string, Active> _active = new(StringComparer.Ordinal);

    /// <summary>The decision, the policy-set version and the determining policy ids.</summary>
    public sealed record Result(bool Allowed, string PolicySetVersion, IReadOnlyList<string> Determining, IReadOnlyList<string> Erroring);

    /// <summary>Decides whether <paramref name="key"/> may invoke <paramref name="alias"/> served by <paramref name="provider"/>.</summary>
    public async ValueTask<Result> AuthorizeAsync(VirtualKeyIdentity key, string alias, string provider, long estimatedTokens, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (!_active.TryGetValue(key.OrgId, out var active) || now - active.At >= MaxAge)
        {
            var (version, bundle) = await decisions.GetActiveAsync(GatewayActor, key.OrgName, cancellationToken).ConfigureAwait(false);
            // The same bundle still active: keep its entity stores, only the time it was checked moves on.
            active = active is not null && active.Version == version && ReferenceEquals(active.Bundle, bundle)
                ? active.CheckedAt(now)
                : new Active(version, bundle, now);
            _active[key.OrgId] = active;
        }

        var stores = active.Stores;
        var id = new StoreKey(key.Id, key.UserId, key.TeamId, alias, provider);
        if (!stores.TryGetValue(id, out var entities))
        {
            entities = BuildStore(active.Bundle, id);
            if (stores.Count >= MaxCachedStores)
            {
                stores.Clear();
            }

            stores[id] = entities;
        }

        var context = new RecordValue(new Dictionary<string, Value>(1, StringComparer.Ordinal) { ["estimatedTokens"] = LongValue.Of(estimatedTokens) });
        var response = Authorizer.IsAuthorized(new AuthorizationRequest(entities.Principal, InvokeAction, entities.Resource, context), active.Bundle.Policies, entities.Store);
        return new Result(response.Decision == Decision.Allow, active.Label, response.Reasons,
            response.Errors.Count == 0 ? [] : response.Errors.Select(e => e.PolicyId).ToList());
    }

    private static Entities BuildStore(PolicyBundle bundle, StoreKey id)
    {
        var principal = new EntityUid("Warden::ApiKey", id.KeyId);
        var parents = new List<EntityUid>(2);
        if (id.UserId is { } user)
        {
            parents.Add(new EntityUid("Warden::User", user));
        }

        if (id.TeamId is { } team)
        {
            parents.Add(new EntityUid("Warden::Team", team));
        }

        var resource = new EntityUid("Warden::Model", id.Alias);
        var store = new EntityStore(
        [
            new Entity(principal, parents: parents),
            new Entity(resource, new Dictionary<string, Value>(StringComparer.Ordinal) { ["provider"] = new StringValue(id.Provider) }),
            .. bundle.Schema.ActionEntities(),
        ]);
        return new Entities(principal, resource, store);
    }

    private readonly record struct StoreKey(string KeyId, string? UserId, string? TeamId, string Alias, string Provider);

    /// <summary>A decision's entities; read-only once built, so shared by concurrent calls.</summary>
    private sealed record Entities(EntityUid Principal, EntityUid Resource, EntityStore Store);

    private sealed class Active
    {
        public Active(string version, PolicyBundle bundle, DateTimeOffset at)
            : this(version, bundle, at, new ConcurrentDictionary<StoreKey, Entities>())
        {
        }

        private Active(string version, PolicyBundle bundle, DateTimeOffset at, ConcurrentDictionary<StoreKey, Entities> stores)
        {
            Version = version;
            Bundle = bundle;
            At = at;
            Stores = stores;
            Label = $"{version} {bundle.ContentHash}";
        }

        public string Version { get; }

        public PolicyBundle Bundle { get; }

        public DateTimeOffset At { get; }

        /// <summary>The policy-set version as decisions record it.</summary>
        public string Label { get; }

        public ConcurrentDictionary<StoreKey, Entities> Stores { get; }

        public Active CheckedAt(DateTimeOffset at) => new(Version, Bundle, at, Stores);
    }
}
