namespace Warden.Audit.Export;

/// <summary>First line of an export file.</summary>
/// <param name="LedgerId">The ledger the events belong to.</param>
/// <param name="Genesis">The ledger's genesis hash (derivable from <paramref name="LedgerId"/>; stated for readers that don't).</param>
/// <param name="FirstSequence">Sequence of the first event in the file (1 for a full export).</param>
/// <param name="ExportedAt">When the export was written.</param>
public sealed record AuditExportHeader(string LedgerId, AuditHash Genesis, long FirstSequence, DateTimeOffset ExportedAt);
