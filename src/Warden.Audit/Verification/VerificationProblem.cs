namespace Warden.Audit.Verification;

/// <summary>The first problem found.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Sequence">The first bad sequence number (for checkpoint problems: the checkpoint's last sequence; for
/// malformed input: the sequence after the last good event).</param>
/// <param name="Message">Human-readable explanation.</param>
public sealed record VerificationProblem(VerificationProblemKind Kind, long Sequence, string Message);
