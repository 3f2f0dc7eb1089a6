namespace Warden.Audit.Storage;

/// <summary>
/// Durable storage for one ledger's events and checkpoints. Implemented per database engine; the
/// <see cref="AuditWriter"/> is its only writer.
/// </summary>
/// <remarks>
/// Invariants an implementation must keep:
/// <list type="number">
/// <item>Events are stored exactly as given: every field, including <see cref="AuditEvent.Details"/> (keep its JSON
/// text; re-serialising through another library is fine only if it round-trips to the same canonical bytes — storing
/// <see cref="Canonical.AuditCanonicalJson.EncodeEvent"/> output verbatim is the simplest way), and
/// <see cref="AuditEvent.Timestamp"/> to the millisecond.</item>
/// <item><see cref="AppendAsync"/> is atomic (all or nothing) and durable when its task completes successfully
/// (committed, fsync'd per the engine's durability settings).</item>
/// <item><see cref="AppendAsync"/> must check that the batch continues the chain: first sequence = stored last
/// sequence + 1 (or 1 when empty), and the first event's <see cref="AuditEvent.PreviousHash"/> = stored last hash
/// (not checked for sequence 1); otherwise throw <see cref="AuditStoreConflictException"/> and write nothing.
/// A unique key on sequence plus this check inside the transaction is enough. Events within a batch are already
/// contiguous and chained.</item>
/// <item>Events are never updated or deleted through this interface (retention/pruning is a separate, audited
/// operation outside the core).</item>
/// <item>Reads return events in ascending sequence order and may run concurrently with appends.</item>
/// </list>
/// </remarks>
public interface IAuditLedgerStore
{
    /// <summary>The last stored event's sequence and hash, or <see langword="null"/> when the store is empty.</summary>
    ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>Atomically and durably appends a non-empty batch of contiguous, fully formed events.</summary>
    /// <exception cref="AuditStoreConflictException">The batch does not continue the stored chain.</exception>
    ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default);

    /// <summary>Streams events with <paramref name="fromSequence"/> ≤ sequence ≤ <paramref name="toSequence"/>, ascending.</summary>
    IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default);

    /// <summary>
    /// Durably stores a checkpoint, which must start right after the last stored one (at 1 for the first): checked
    /// atomically, so two writers on one store (server replicas) cannot both seal the same range or seal out of order.
    /// </summary>
    /// <exception cref="AuditStoreConflictException">The checkpoint does not continue the stored checkpoints.</exception>
    ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The checkpoint with the highest <see cref="AuditCheckpoint.ToSequence"/>, or <see langword="null"/>.</summary>
    ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams checkpoints whose <see cref="AuditCheckpoint.ToSequence"/> lies in
    /// [<paramref name="fromSequence"/>, <paramref name="toSequence"/>], ascending.
    /// </summary>
    IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default);
}
