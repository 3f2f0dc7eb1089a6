using Warden.Policy.Values;

namespace Warden.Policy;

/// <summary>The action scope constraint. <see cref="Entities"/> holds the single entity for <c>Eq</c>/<c>In</c>.</summary>
/// <param name="Kind">The constraint shape.</param>
/// <param name="Entities">The action uids referenced.</param>
public sealed record ActionConstraint(ActionScopeKind Kind, IReadOnlyList<EntityUid> Entities)
{
    /// <summary>The unconstrained action scope.</summary>
    public static readonly ActionConstraint Any = new(ActionScopeKind.Any, []);
}
