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
    /// Parses Cedar policy text. Policies are named <c>policy0</c>, <c>policy1</c>, ... by position.
    /// Throws <see cref="ParseException"/> (with line and column) on malformed input.
    /// </summary>
    public static PolicySet Parse(string text) => new(PolicyParser.ParsePolicies(text));

    /// <summary>Parses Cedar policy text without throwing.</summary>
    public static bool TryParse(string text, out PolicySet policySet, out ParseError? error)
    {
        try
        {
            policySet = Parse(text);
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
