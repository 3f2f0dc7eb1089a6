namespace Warden.Audit;

/// <summary>The policy decision that governed an action, if one was made.</summary>
public sealed record PolicyDecision
{
    /// <summary>Allow or deny.</summary>
    public required PolicyEffect Effect { get; init; }

    /// <summary>Version of the policy set that was evaluated.</summary>
    public required string PolicySetVersion { get; init; }

    /// <summary>Ids of the policies that determined the decision.</summary>
    public IReadOnlyList<string> DeterminingPolicies { get; init; } = [];

    /// <summary>Ids of policies that errored during evaluation.</summary>
    public IReadOnlyList<string> ErroringPolicies { get; init; } = [];

    /// <inheritdoc />
    public bool Equals(PolicyDecision? other) =>
        other is not null
        && Effect == other.Effect
        && PolicySetVersion == other.PolicySetVersion
        && DeterminingPolicies.SequenceEqual(other.DeterminingPolicies)
        && ErroringPolicies.SequenceEqual(other.ErroringPolicies);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Effect, PolicySetVersion, DeterminingPolicies.Count, ErroringPolicies.Count);
}
