using Warden.Audit.Canonical;
using Warden.Audit.Storage;

namespace Warden.Audit.Export;

/// <summary>Writes a store's events and checkpoints as an export file (see <see cref="AuditExportFormat"/>).</summary>
public static class AuditExporter
{
    private const int FlushThreshold = 256 * 1024;

    /// <summary>
    /// Exports events <paramref name="fromSequence"/>..<paramref name="toSequence"/> with the checkpoints that end in
    /// that range, each written right after the event it ends at. Returns the number of events written.
    /// </summary>
    public static async Task<long> ExportAsync(
        IAuditLedgerStore store,
        Stream output,
        string ledgerId,
        long fromSequence = 1,
        long toSequence = long.MaxValue,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfLessThan(fromSequence, 1);

        // A pruned ledger starts after the checkpoint that anchors it. A whole-ledger export then carries every
        // checkpoint from the first (so the reader checks their chain from the genesis value) and says where events
        // resume; a range starting inside the pruned prefix carries the anchoring checkpoint only.
        var prunable = store as IPrunableAuditLedgerStore;
        var prunedThrough = prunable is null ? 0 : await prunable.GetPrunedThroughAsync(cancellationToken).ConfigureAwait(false);
        var checkpointsFrom = fromSequence;
        long headerPruned = 0;
        if (fromSequence <= prunedThrough)
        {
            headerPruned = fromSequence == 1 ? prunedThrough : 0;
            checkpointsFrom = fromSequence == 1 ? 1 : prunedThrough;
            fromSequence = prunedThrough + 1;
        }

        var checkpoints = new Queue<AuditCheckpoint>();
        await foreach (var checkpoint in store.ReadCheckpointsAsync(checkpointsFrom, toSequence, cancellationToken).ConfigureAwait(false))
        {
            checkpoints.Enqueue(checkpoint);
        }

        var buffer = new CanonicalBuffer();
        var header = new AuditExportHeader(ledgerId, AuditCanonicalJson.ComputeGenesis(ledgerId), fromSequence, (timeProvider ?? TimeProvider.System).GetUtcNow(), headerPruned);
        var lineWriter = new System.Buffers.ArrayBufferWriter<byte>();
        AuditExportFormat.WriteHeaderLine(header, lineWriter);
        buffer.Raw(lineWriter.WrittenSpan);

        long count = 0;
        var entries = prunable is not null
            ? prunable.ReadEntriesAsync(fromSequence, toSequence, cancellationToken)
            : Whole(store.ReadEventsAsync(fromSequence, toSequence, cancellationToken));
        await foreach (var entry in entries.ConfigureAwait(false))
        {
            // Each checkpoint goes right after the event it ends at; those ending before the first event (a pruned
            // prefix) come first.
            WriteCheckpoints(checkpoints, entry.Sequence - 1, buffer, lineWriter);
            if (entry.Event is { } e)
            {
                AuditExportFormat.WriteEventLine(e, buffer);
            }
            else
            {
                lineWriter.Clear();
                AuditExportFormat.WriteErasedLine(entry.Erased!, lineWriter);
                buffer.Raw(lineWriter.WrittenSpan);
            }

            count++;
            WriteCheckpoints(checkpoints, entry.Sequence, buffer, lineWriter);
            if (buffer.Length >= FlushThreshold)
            {
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.Clear();
            }
        }

        // Checkpoints beyond the last event are still written: a verifier then reports the missing tail.
        WriteCheckpoints(checkpoints, long.MaxValue, buffer, lineWriter);

        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    private static void WriteCheckpoints(Queue<AuditCheckpoint> checkpoints, long through, CanonicalBuffer buffer, System.Buffers.ArrayBufferWriter<byte> lineWriter)
    {
        while (checkpoints.TryPeek(out var checkpoint) && checkpoint.ToSequence <= through)
        {
            checkpoints.Dequeue();
            lineWriter.Clear();
            AuditExportFormat.WriteCheckpointLine(checkpoint, lineWriter);
            buffer.Raw(lineWriter.WrittenSpan);
        }
    }

    private static async IAsyncEnumerable<AuditLedgerEntry> Whole(IAsyncEnumerable<AuditEvent> events)
    {
        await foreach (var e in events.ConfigureAwait(false))
        {
            yield return new AuditLedgerEntry(e, null);
        }
    }
}
