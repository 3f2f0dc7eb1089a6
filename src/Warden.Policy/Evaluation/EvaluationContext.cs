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
