namespace Warden.Policy.Conformance;

/// <summary>The outcome of one conformance test file.</summary>
/// <param name="Path">The test file.</param>
/// <param name="ExpectedValid">The file's <c>shouldValidate</c>.</param>
/// <param name="ValidationMatched">Whether the validator agreed with <c>shouldValidate</c>.</param>
/// <param name="ValidationErrors">Validator messages, for diagnosing mismatches.</param>
/// <param name="Requests">Per-request outcomes.</param>
/// <param name="Error">A failure to load the test (bad JSON, unparsable policy/schema/entities), or null.</param>
public sealed record ConformanceTestResult(
    string Path,
    bool ExpectedValid,
    bool ValidationMatched,
    IReadOnlyList<string> ValidationErrors,
    IReadOnlyList<ConformanceRequestResult> Requests,
    string? Error)
{
    /// <summary>Whether everything in the file matched.</summary>
    public bool Passed => Error is null && ValidationMatched && Requests.All(r => r.Passed);
}
