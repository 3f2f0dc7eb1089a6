namespace Warden.Policy;

/// <summary>The result of authorization.</summary>
/// <param name="Decision">Allow or deny.</param>
/// <param name="Reasons">
/// Ids of the determining policies: the satisfied forbids when any forbid is satisfied, otherwise the satisfied permits.
/// </param>
/// <param name="Errors">Policies whose evaluation raised an error.</param>
public sealed record AuthorizationResponse(Decision Decision, IReadOnlyList<string> Reasons, IReadOnlyList<PolicyEvaluationError> Errors);
