using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Warden.Policy.Entities;
using Warden.Policy.Values;

namespace Warden.Policy.Evaluation;

/// <summary>
/// Per policy set, caches which policies can apply to a given action (their action scope matches it in a given
/// entity store), split into forbids and permits. After the first request for an action, authorization looks up
/// a ready array and evaluates only those policies, without allocating.
/// </summary>
internal sealed class PolicyIndex
{
    private readonly IReadOnlyList<CedarPolicy> _policies;
    private readonly ConditionalWeakTable<EntityStore, ConcurrentDictionary<EntityUid, Candidates>> _byStore = new();

    public PolicyIndex(IReadOnlyList<CedarPolicy> policies) => _policies = policies;

    public Candidates For(EntityUid action, EntityStore entities)
    {
        var perStore = _byStore.GetValue(entities, static _ => new ConcurrentDictionary<EntityUid, Candidates>());
        if (perStore.TryGetValue(action, out var c))
        {
            return c;
        }

        return Add(perStore, action, entities);
    }

    // Kept separate so the closure is only allocated on a cache miss.
    private Candidates Add(ConcurrentDictionary<EntityUid, Candidates> perStore, EntityUid action, EntityStore entities) =>
        perStore.GetOrAdd(action, a => Build(a, entities));

    private Candidates Build(EntityUid action, EntityStore entities)
    {
        var forbids = new List<CedarPolicy>();
        var permits = new List<CedarPolicy>();
        foreach (var p in _policies)
        {
            if (p.ActionMatches(action, entities))
            {
                (p.Effect == Effect.Forbid ? forbids : permits).Add(p);
            }
        }

        return new Candidates(PolicyGroup.Create(forbids), PolicyGroup.Create(permits));
    }

    internal sealed record Candidates(PolicyGroup Forbids, PolicyGroup Permits);

    /// <summary>
    /// Policies for one action and effect. Those whose principal scope is <c>== E</c> are filed under E, so a
    /// request only evaluates the ones naming its principal plus the rest.
    /// </summary>
    internal sealed class PolicyGroup
    {
        private static readonly CedarPolicy[] None = [];
        private readonly Dictionary<EntityUid, CedarPolicy[]> _byPrincipal;

        private PolicyGroup(CedarPolicy[] other, Dictionary<EntityUid, CedarPolicy[]> byPrincipal)
        {
            Other = other;
            _byPrincipal = byPrincipal;
        }

        /// <summary>Policies that may apply to any principal.</summary>
        public CedarPolicy[] Other { get; }

        public static PolicyGroup Create(List<CedarPolicy> policies)
        {
            var other = new List<CedarPolicy>();
            var byPrincipal = new Dictionary<EntityUid, List<CedarPolicy>>();
            foreach (var p in policies)
            {
                if (p.Principal is { Kind: ScopeKind.Eq, Entity: { } e })
                {
                    if (!byPrincipal.TryGetValue(e, out var list))
                    {
                        byPrincipal[e] = list = [];
                    }

                    list.Add(p);
                }
                else
                {
                    other.Add(p);
                }
            }

            return new PolicyGroup([.. other], byPrincipal.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
        }

        /// <summary>Policies naming exactly this principal in their scope.</summary>
        public CedarPolicy[] ForPrincipal(EntityUid principal) =>
            _byPrincipal.Count > 0 && _byPrincipal.TryGetValue(principal, out var list) ? list : None;
    }
}
