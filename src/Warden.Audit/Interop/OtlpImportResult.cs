namespace Warden.Audit.Interop;

/// <summary>Outcome of parsing an OTLP logs request: all events, or none and the reason.</summary>
/// <param name="Events">Drafts ready for <see cref="AuditWriter.AppendAsync"/>; empty on failure.</param>
/// <param name="Error">Why the request was rejected, or <see langword="null"/> on success.</param>
public sealed record OtlpImportResult(IReadOnlyList<AuditEventDraft> Events, string? Error)
{
    /// <summary>True when the request was accepted.</summary>
    public bool Succeeded => Error is null;

    internal static OtlpImportResult Fail(string error) => new([], error);
}
