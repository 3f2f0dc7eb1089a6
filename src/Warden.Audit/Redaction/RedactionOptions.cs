namespace Warden.Audit.Redaction;

/// <summary>Configures <see cref="AuditRedactor"/> beyond its built-in rules.</summary>
public sealed record RedactionOptions
{
    /// <summary>Additional patterns, applied after the built-in ones.</summary>
    public IReadOnlyList<RedactionPattern> ExtraPatterns { get; init; } = [];

    /// <summary>Additional detail keys (compared case-insensitively, whole name) whose values are always redacted.</summary>
    public IReadOnlyList<string> ExtraSensitiveKeys { get; init; } = [];

    /// <summary>Per-match timeout for extra patterns, guarding against catastrophic backtracking.</summary>
    public TimeSpan PatternTimeout { get; init; } = TimeSpan.FromMilliseconds(100);
}
