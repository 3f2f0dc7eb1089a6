namespace Warden.Policy.Validation;

/// <summary>A validation error in a policy.</summary>
/// <param name="PolicyId">The policy.</param>
/// <param name="Kind">A short error category (e.g. <c>unknownEntity</c>, <c>attrNotFound</c>, <c>lubErr</c>).</param>
/// <param name="Message">A human-readable explanation.</param>
public sealed record ValidationError(string PolicyId, string Kind, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{PolicyId}: {Kind}: {Message}";
}
