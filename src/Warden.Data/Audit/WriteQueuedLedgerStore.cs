using Warden.Audit;
using Warden.Audit.Storage;

namespace Warden.Data.Audit;

/// <summary>
/// A ledger store whose writes take their turn in the connection factory's write queue
/// (<see cref="ConnectionFactory.ExclusiveWriteAsync{T}"/>), so on SQLite the audit writer's batches and the other
/// hot-path writers (sessions, gateway usage) wait for each other in order instead of in SQLite's sleeping busy
/// handler, where a writer that keeps finding the lock taken can wait for seconds. Reads go straight to the store.
/// </summary>
public sealed class WriteQueuedLedgerStore(IAuditLedgerStore inner, ConnectionFactory connections) : IEncodedAuditLedgerStore
{
    /// <inheritdoc />
    public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => inner.GetHeadAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default) =>
        await connections.ExclusiveWriteAsync(async () =>
        {
            await inner.AppendAsync(events, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken).ConfigureAwait(false);

    /// <summary>The writer's canonical bytes go through when the store keeps them; otherwise the store encodes again.</summary>
    public async ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, CancellationToken cancellationToken = default) =>
        await connections.ExclusiveWriteAsync(async () =>
        {
            if (inner is IEncodedAuditLedgerStore encoded)
            {
                await encoded.AppendEncodedAsync(events, canonical, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await inner.AppendAsync(events, cancellationToken).ConfigureAwait(false);
            }

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
