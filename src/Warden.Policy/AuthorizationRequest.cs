using Warden.Policy.Values;

namespace Warden.Policy;

/// <summary>A request to authorize.</summary>
/// <param name="Principal">Who is acting.</param>
/// <param name="Action">The action, an entity of type <c>Action</c> (possibly namespaced).</param>
/// <param name="Resource">What is acted on.</param>
/// <param name="Context">Request context record.</param>
public sealed record AuthorizationRequest(EntityUid Principal, EntityUid Action, EntityUid Resource, RecordValue Context);
