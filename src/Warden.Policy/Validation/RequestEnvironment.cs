using Warden.Policy.Schemas;
using Warden.Policy.Values;

namespace Warden.Policy.Validation;

/// <summary>One (principal type, action, resource type, context type) combination the schema allows.</summary>
/// <param name="PrincipalType">The principal's entity type.</param>
/// <param name="Action">The action.</param>
/// <param name="ResourceType">The resource's entity type.</param>
/// <param name="Context">The context record type.</param>
public sealed record RequestEnvironment(string PrincipalType, EntityUid Action, string ResourceType, RecordType Context);
