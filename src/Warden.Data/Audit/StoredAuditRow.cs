namespace Warden.Data.Audit;

/// <summary>An audit row as stored: what the verifier needs, without decoding the event.</summary>
public sealed record StoredAuditRow(long Sequence, byte[] PreviousHash, byte[] Hash, byte[] Body);
