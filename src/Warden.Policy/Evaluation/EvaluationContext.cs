using Warden.Policy.Entities;
using Warden.Policy.Values;

namespace Warden.Policy.Evaluation;

/// <summary>The request and entity data an expression is evaluated against.</summary>
public readonly struct EvaluationContext
{
    /// <summary>Creates a context.</summary>
    public EvaluationContext(EntityUid principal, EntityUid action, EntityUid resource, RecordValue context, EntityStore entities)
    {
        Principal = principal;
        Action = action;
        Resource = resource;
        Context = context;
        Entities = entities;

        // Principal and resource are looked up once per request rather than once per policy that reads them.
        if (entities.TryGetResolved(principal, out var pe, out var pa))
        {
            PrincipalEntity = pe;
            PrincipalAncestors = pa;
        }

        if (entities.TryGetResolved(resource, out var re, out var ra))
        {
            ResourceEntity = re;
            ResourceAncestors = ra;
        }
    }

    /// <summary>The principal's entity data, or null when the store does not contain it.</summary>
    public Entity? PrincipalEntity { get; }

    /// <summary>The resource's entity data, or null when the store does not contain it.</summary>
    public Entity? ResourceEntity { get; }

    internal HashSet<EntityUid>? PrincipalAncestors { get; }

    internal HashSet<EntityUid>? ResourceAncestors { get; }

    /// <summary>Looks up an entity, using the per-request cache for the principal and resource.</summary>
    public bool TryGetEntity(EntityUid uid, out Entity entity)
    {
        if (PrincipalEntity is not null && ReferenceEquals(uid, Principal))
        {
            entity = PrincipalEntity;
            return true;
        }

        if (ResourceEntity is not null && ReferenceEquals(uid, Resource))
        {
            entity = ResourceEntity;
            return true;
        }

        return Entities.TryGet(uid, out entity);
    }

    /// <summary>Cedar's <c>in</c> on entities, using the per-request cache for the principal and resource.</summary>
    public bool IsIn(EntityUid child, EntityUid ancestor)
    {
        if (ReferenceEquals(child, Principal) && PrincipalAncestors is not null)
        {
            return child.Equals(ancestor) || PrincipalAncestors.Contains(ancestor);
        }

        if (ReferenceEquals(child, Resource) && ResourceAncestors is not null)
        {
            return child.Equals(ancestor) || ResourceAncestors.Contains(ancestor);
        }

        return Entities.IsIn(child, ancestor);
    }

    /// <summary>The request principal.</summary>
    public EntityUid Principal { get; }

    /// <summary>The request action.</summary>
    public EntityUid Action { get; }

    /// <summary>The request resource.</summary>
    public EntityUid Resource { get; }

    /// <summary>The request context record.</summary>
    public RecordValue Context { get; }

    /// <summary>The entity data.</summary>
    public EntityStore Entities { get; }
}
