namespace Warden.Audit.Export;

/// <summary>First line of an export file.</summary>
/// <param name="LedgerId">The ledger the events belong to.</param>
/// <param name="Genesis">The ledger's genesis hash (derivable from <paramref name="LedgerId"/>; stated for readers that don't).</param>
/// <param name="FirstSequence">Sequence of the first event in the file (1 for a full export).</param>
/// <param name="ExportedAt">When the export was written.</param>
/// <param name="PrunedThrough">
/// For a whole-ledger export of a ledger retention pruned: events 1..this are gone, every checkpoint from the first
/// precedes the first event, and the one ending here anchors it (0: not pruned; the field is then left out).
/// </param>
public sealed record AuditExportHeader(string LedgerId, AuditHash Genesis, long FirstSequence, DateTimeOffset ExportedAt, long PrunedThrough = 0);
