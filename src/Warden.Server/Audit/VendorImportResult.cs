using Warden.Audit;

namespace Warden.Server.Audit;

/// <summary>Outcome of parsing a vendor audit export: every event, or none and the reason.</summary>
/// <param name="Events">Drafts in source time order; empty on failure.</param>
/// <param name="Error">Why the file was rejected, or <see langword="null"/> on success.</param>
public sealed record VendorImportResult(IReadOnlyList<AuditEventDraft> Events, string? Error)
{
    /// <summary>True when the file was accepted.</summary>
    public bool Succeeded => Error is null;

    /// <summary>A rejection with <paramref name="error"/>.</summary>
    public static VendorImportResult Fail(string error) => new([], error);
}
