using System.Collections.Concurrent;
using Warden.Policy.Entities;
using Warden.Policy.Values;

namespace Warden.Policy.Evaluation;

/// <summary>
/// Per policy set, caches which policies can apply to a request's action (their action scope matches it), split
/// into forbids and permits. Whether an action scope matches depends only on the action and on which of the
/// action groups named in the policies it belongs to, so the cache key is the action plus a bit mask of those
/// memberships. That keeps the cache valid across entity stores (e.g. one store per request), and a lookup
/// allocates nothing.
/// </summary>
internal sealed class PolicyIndex
{
    // Bounds memory if callers send many distinct (e.g. invalid) actions; beyond it, candidates are rebuilt.
    private const int MaxCached = 4096;
    private readonly IReadOnlyList<CedarPolicy> _policies;
    private readonly EntityUid[] _groups;
    private readonly ConcurrentDictionary<(EntityUid Action, ulong Groups), Candidates> _cache = new();

    public PolicyIndex(IReadOnlyList<CedarPolicy> policies)
    {
        _policies = policies;
        _groups = [.. policies
            .Where(p => p.Action.Kind is ActionScopeKind.In or ActionScopeKind.InSet)
            .SelectMany(p => p.Action.Entities)
            .Distinct()];
    }

    public Candidates For(EntityUid action, EntityStore entities)
    {
        if (_groups.Length > 64)
        {
            // Too many distinct groups for the mask; rare enough to simply not cache.
            return Build(action, entities);
        }

        ulong mask = 0;
        for (var i = 0; i < _groups.Length; i++)
        {
            if (entities.IsIn(action, _groups[i]))
            {
                mask |= 1UL << i;
            }
        }

        if (_cache.TryGetValue((action, mask), out var c))
        {
            return c;
        }

        c = Build(action, entities);
        if (_cache.Count < MaxCached)
        {
            _cache.TryAdd((action, mask), c);
        }

        return c;
    }

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
