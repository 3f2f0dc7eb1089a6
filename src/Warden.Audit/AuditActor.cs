namespace Warden.Audit;

/// <summary>The principal that performed an action.</summary>
/// <param name="Kind">What sort of principal it is.</param>
/// <param name="Id">Stable identifier (user id, session id, key id, ...). Never a secret.</param>
/// <param name="Display">Optional human-readable name at the time of the event.</param>
public sealed record AuditActor(ActorKind Kind, string Id, string? Display = null);
