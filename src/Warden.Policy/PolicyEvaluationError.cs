namespace Warden.Policy;

/// <summary>A policy whose evaluation raised an error (it contributed nothing to the decision).</summary>
/// <param name="PolicyId">The policy id.</param>
/// <param name="Message">The error message.</param>
public sealed record PolicyEvaluationError(string PolicyId, string Message);
