namespace Warden.Audit.Verification;

/// <summary>
/// A stored event as verification needs it: its sequence, the hashes stored beside it and its canonical bytes
/// (see <see cref="LedgerVerifier.AddEncodedEvents"/>).
/// </summary>
public readonly record struct EncodedAuditEvent(long Sequence, AuditHash PreviousHash, AuditHash Hash, ReadOnlyMemory<byte> Canonical);
