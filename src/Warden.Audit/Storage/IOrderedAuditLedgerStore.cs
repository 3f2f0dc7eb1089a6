namespace Warden.Audit.Storage;

/// <summary>
/// Optional for an <see cref="IEncodedAuditLedgerStore"/> that commits appends in the order they were started (one
/// writer queue in front of the database, as Warden's SQLite write queue): the <see cref="AuditWriter"/> then starts
/// its next batch while the previous one is still queued, so consecutive batches can share one commit instead of each
/// waiting for the previous one's.
/// </summary>
/// <remarks>
/// When <see cref="KeepsSubmissionOrder"/> is true: an append is placed in the order when its call returns (the write
/// itself may run later), appends are committed in that order, and one whose predecessor was not written fails its
/// continuity check (<see cref="AuditStoreConflictException"/>) or shares the predecessor's failure, writing nothing.
/// </remarks>
public interface IOrderedAuditLedgerStore : IEncodedAuditLedgerStore
{
    /// <summary>True when appends are committed in the order they were started.</summary>
    bool KeepsSubmissionOrder { get; }
}
