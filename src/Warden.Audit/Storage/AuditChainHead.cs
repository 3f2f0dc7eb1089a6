namespace Warden.Audit.Storage;

/// <summary>The last event in a store: its sequence and hash.</summary>
/// <param name="LastSequence">Sequence of the last stored event (≥ 1).</param>
/// <param name="LastHash">Hash of that event.</param>
public sealed record AuditChainHead(long LastSequence, AuditHash LastHash);
