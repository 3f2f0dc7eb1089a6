using Warden.Policy.Ast;
using Warden.Policy.Values;

namespace Warden.Policy;

/// <summary>A principal or resource scope constraint. <see cref="Entity"/> is null when the constraint uses a slot.</summary>
/// <param name="Kind">The constraint shape.</param>
/// <param name="Entity">The entity for <c>==</c>/<c>in</c>, or null for slots and <c>Any</c>/<c>Is</c>.</param>
/// <param name="EntityType">The type for <c>is</c>.</param>
/// <param name="Slot">The slot used instead of an entity, in templates.</param>
public sealed record ScopeConstraint(ScopeKind Kind, EntityUid? Entity = null, string? EntityType = null, SlotKind? Slot = null)
{
    /// <summary>The unconstrained scope.</summary>
    public static readonly ScopeConstraint Any = new(ScopeKind.Any);
}
