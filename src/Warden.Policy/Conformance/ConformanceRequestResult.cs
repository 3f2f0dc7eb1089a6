namespace Warden.Policy.Conformance;

/// <summary>The outcome of one request case in a conformance test.</summary>
/// <param name="Description">The case's description.</param>
/// <param name="Passed">Whether decision, reasons and errors all matched.</param>
/// <param name="Failure">What differed, when it failed.</param>
public sealed record ConformanceRequestResult(string Description, bool Passed, string? Failure);
