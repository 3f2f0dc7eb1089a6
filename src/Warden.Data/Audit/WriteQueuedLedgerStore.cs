using Warden.Audit;
using Warden.Audit.Storage;

namespace Warden.Data.Audit;

/// <summary>
/// The SQL ledger store with its batches written through the connection factory's write queue
/// (<see cref="ConnectionFactory.WriteAsync{T}"/>): on SQLite the audit writer's batches and the other hot-path writers
/// (sessions, gateway usage) take turns in order instead of meeting in SQLite's sleeping busy handler, and a batch
/// shares its commit (and fsync) with the writes queued beside it; on PostgreSQL each batch is a transaction of its
/// own. Companion writes (<see cref="SqlAuditCompanion{T}"/>) run in the batch's transaction. Reads go straight to the store.
/// </summary>
public sealed class WriteQueuedLedgerStore(SqlAuditLedgerStore inner, ConnectionFactory connections) : ICompanionAuditLedgerStore, IOrderedAuditLedgerStore
{
    /// <summary>
    /// True on SQLite: the write queue commits batches in the order they were placed, so the writer places its next
    /// batch while the previous one waits and both can share a commit. PostgreSQL transactions race for the ledger's lock.
    /// </summary>
    public bool KeepsSubmissionOrder => connections.Dialect == SqlDialect.Sqlite;

    /// <inheritdoc />
    public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => inner.GetHeadAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default) =>
        events.Count == 0 ? ValueTask.CompletedTask : WriteAsync(events, null, [], cancellationToken);

    /// <inheritdoc />
    public ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, CancellationToken cancellationToken = default) =>
        events.Count == 0 ? ValueTask.CompletedTask : WriteAsync(events, canonical, [], cancellationToken);

    /// <inheritdoc />
    public ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, IReadOnlyList<AuditCompanionWrite> companions, CancellationToken cancellationToken = default) =>
        WriteAsync(events, canonical, companions, cancellationToken);

    private async ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]>? canonical, IReadOnlyList<AuditCompanionWrite> companions, CancellationToken cancellationToken) =>
        await connections.QueueWriteAsync(async (connection, tx) =>
        {
            await inner.AppendWithinAsync(connection, tx, events, canonical, companions, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) =>
        inner.ReadEventsAsync(fromSequence, toSequence, cancellationToken);

    /// <inheritdoc />
    public async ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default) =>
        await connections.ExclusiveWriteAsync(async () =>
        {
            await inner.AppendCheckpointAsync(checkpoint, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default) => inner.GetLastCheckpointAsync(cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default) =>
        inner.ReadCheckpointsAsync(fromSequence, toSequence, cancellationToken);
}
