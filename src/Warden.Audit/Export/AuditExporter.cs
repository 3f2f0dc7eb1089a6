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
        var checkpoints = new Queue<AuditCheckpoint>();
        await foreach (var checkpoint in store.ReadCheckpointsAsync(fromSequence, toSequence, cancellationToken).ConfigureAwait(false))
        {
            checkpoints.Enqueue(checkpoint);
        }

        var buffer = new CanonicalBuffer();
        var header = new AuditExportHeader(ledgerId, AuditCanonicalJson.ComputeGenesis(ledgerId), fromSequence, (timeProvider ?? TimeProvider.System).GetUtcNow());
        var headerWriter = new System.Buffers.ArrayBufferWriter<byte>();
        AuditExportFormat.WriteHeaderLine(header, headerWriter);
        buffer.Raw(headerWriter.WrittenSpan);

        long count = 0;
        await foreach (var e in store.ReadEventsAsync(fromSequence, toSequence, cancellationToken).ConfigureAwait(false))
        {
            AuditExportFormat.WriteEventLine(e, buffer);
            count++;
            while (checkpoints.TryPeek(out var checkpoint) && checkpoint.ToSequence <= e.Sequence)
            {
                checkpoints.Dequeue();
                var writer = new System.Buffers.ArrayBufferWriter<byte>();
                AuditExportFormat.WriteCheckpointLine(checkpoint, writer);
                buffer.Raw(writer.WrittenSpan);
            }

            if (buffer.Length >= FlushThreshold)
            {
                await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                buffer.Clear();
            }
        }

        // Checkpoints beyond the last event are still written: a verifier then reports the missing tail.
        while (checkpoints.TryDequeue(out var checkpoint))
        {
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            AuditExportFormat.WriteCheckpointLine(checkpoint, writer);
            buffer.Raw(writer.WrittenSpan);
        }

        await output.WriteAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }
}
