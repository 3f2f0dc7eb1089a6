using Warden.Policy.Parsing;
using Warden.Policy.Values;

namespace Warden.Policy;

/// <summary>An immutable set of static policies and templates.</summary>
public sealed class PolicySet
{
    /// <summary>The empty policy set.</summary>
    public static readonly PolicySet Empty = new([]);

    /// <summary>Creates a set from policies; templates (policies with slots) are kept apart from static policies.</summary>
    public PolicySet(IEnumerable<CedarPolicy> policies)
    {
        var all = policies.ToList();
        Policies = [.. all.Where(p => !p.IsTemplate)];
        Templates = [.. all.Where(p => p.IsTemplate)];
    }

    /// <summary>Lazily built index of policies by action, used by <see cref="Authorizer"/>.</summary>
    internal Evaluation.PolicyIndex Index => field ??= new Evaluation.PolicyIndex(Policies);

    /// <summary>Static and linked policies; these are what authorization evaluates.</summary>
    public IReadOnlyList<CedarPolicy> Policies { get; }

    /// <summary>Unlinked templates.</summary>
    public IReadOnlyList<CedarPolicy> Templates { get; }

    /// <summary>
    /// Parses Cedar policy text. Policies are named <c>{idPrefix}0</c>, <c>{idPrefix}1</c>, ... by position
    /// (<c>policy0</c>, <c>policy1</c>, ... by default, as Cedar's tooling does).
    /// Throws <see cref="ParseException"/> (with line and column) on malformed input.
    /// </summary>
    public static PolicySet Parse(string text, string idPrefix = "policy") =>
        new(PolicyParser.ParsePolicies(text, idPrefix));

    /// <summary>Parses Cedar policy text without throwing.</summary>
    public static bool TryParse(string text, out PolicySet policySet, out ParseError? error, string idPrefix = "policy")
    {
        try
        {
            policySet = Parse(text, idPrefix);
            error = null;
            return true;
        }
        catch (ParseException ex)
        {
            policySet = Empty;
            error = ex.Error;
            return false;
        }
    }

    /// <summary>
    /// Combines policy sets, e.g. ones parsed from several files with distinct id prefixes.
    /// Throws <see cref="ArgumentException"/> when two policies share an id.
    /// </summary>
    public static PolicySet Combine(IEnumerable<PolicySet> sets)
    {
        var all = new List<CedarPolicy>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var set in sets)
        {
            foreach (var p in set.Policies.Concat(set.Templates))
            {
                if (!ids.Add(p.Id))
                {
                    throw new ArgumentException($"duplicate policy id {p.Id}", nameof(sets));
                }

                all.Add(p);
            }
        }

        return new PolicySet(all);
    }

    /// <summary>Returns a new set with the template <paramref name="templateId"/> linked under <paramref name="newId"/>.</summary>
    public PolicySet Link(string templateId, string newId, EntityUid? principal, EntityUid? resource)
    {
        var template = Templates.FirstOrDefault(t => t.Id == templateId) ?? throw new ArgumentException($"no template {templateId}", nameof(templateId));
        if (Policies.Any(p => p.Id == newId) || Templates.Any(p => p.Id == newId))
        {
            throw new ArgumentException($"policy id {newId} already exists", nameof(newId));
        }

        return new PolicySet([.. Policies, .. Templates, template.Link(newId, principal, resource)]);
    }
}
