namespace Warden.Policy;

/// <summary>
/// A reusable, mutable authorization result for <see cref="Authorizer.Authorize"/>: reusing one instance per
/// thread makes full authorization (decision, reasons, errors) allocation-free when no policy errors.
/// </summary>
public sealed class AuthorizationResult
{
    private readonly List<string> _forbids = [];
    private readonly List<string> _permits = [];
    private readonly List<PolicyEvaluationError> _errors = [];

    /// <summary>The decision.</summary>
    public Decision Decision { get; private set; } = Decision.Deny;

    /// <summary>The determining policies: satisfied forbids if any, else satisfied permits.</summary>
    public IReadOnlyList<string> Reasons => _forbids.Count > 0 ? _forbids : _permits;

    /// <summary>Policies whose evaluation raised an error.</summary>
    public IReadOnlyList<PolicyEvaluationError> Errors => _errors;

    internal List<string> Forbids => _forbids;

    internal List<string> Permits => _permits;

    internal List<PolicyEvaluationError> ErrorList => _errors;

    /// <summary>Copies the result into an immutable response.</summary>
    public AuthorizationResponse ToResponse() => new(Decision, [.. Reasons], [.. _errors]);

    internal void Reset()
    {
        _forbids.Clear();
        _permits.Clear();
        _errors.Clear();
        Decision = Decision.Deny;
    }

    internal void Complete() => Decision = _forbids.Count == 0 && _permits.Count > 0 ? Decision.Allow : Decision.Deny;
}
