namespace Warden.Policy.Validation;

/// <summary>The outcome of validating a policy set against a schema.</summary>
/// <param name="Errors">Errors; empty when the policies validate.</param>
/// <param name="Warnings">Warnings (e.g. a policy that can never apply); they do not fail validation.</param>
public sealed record ValidationResult(IReadOnlyList<ValidationError> Errors, IReadOnlyList<ValidationError> Warnings)
{
    /// <summary>Whether validation passed.</summary>
    public bool IsValid => Errors.Count == 0;
}
