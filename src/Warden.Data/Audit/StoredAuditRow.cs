namespace Warden.Data.Audit;

/// <summary>An audit row as stored: what the verifier needs, without decoding the event.</summary>
/// <param name="ErasedBy">For a row whose content retention erased (empty <paramref name="Body"/>), the sequence of the erase record.</param>
public sealed record StoredAuditRow(long Sequence, byte[] PreviousHash, byte[] Hash, byte[] Body, long? ErasedBy = null);
