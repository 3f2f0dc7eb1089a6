namespace Warden.Audit.Redaction;

/// <summary>An extra secret shape to redact.</summary>
/// <param name="Kind">Short label used in the marker, e.g. <c>internal_token</c> gives <c>[REDACTED:internal_token]</c>.</param>
/// <param name="Pattern">A .NET regular expression; every match is replaced.</param>
public sealed record RedactionPattern(string Kind, string Pattern);
