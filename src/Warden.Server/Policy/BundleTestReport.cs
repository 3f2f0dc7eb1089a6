namespace Warden.Server.Policy;

/// <summary>What a bundle's tests found: counts and one line per mismatch.</summary>
public sealed record BundleTestReport(int TestsPassed, int TestsFailed, int RequestsPassed, int RequestsTotal, IReadOnlyList<string> Failures);
