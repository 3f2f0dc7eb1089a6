using Warden.Audit;
using Warden.Audit.Canonical;
using Warden.Audit.Signing;
using Warden.Audit.Verification;

namespace Warden.Data.Audit;

/// <summary>
/// Verifies a ledger in place: every event re-hashed from its stored canonical bytes, every checkpoint's signature and
/// link, and every event retention erased or pruned accounted for by a retention record covered by a checkpoint.
/// </summary>
public static class StoreVerifier
{

    /// <summary>
    /// Checks the whole ledger against <paramref name="keys"/>. Checkpoints are loaded first: the verifier holds each
    /// until the events reach its end, so one that covers events no longer stored reports a truncated tail. A ledger
    /// pruned through P starts at P + 1, chained to what the checkpoint ending at P signed.
    /// </summary>
    public static async Task<VerificationReport> VerifyAsync(SqlAuditLedgerStore store, string ledgerId, AuditPublicKeySet keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var prunedThrough = await store.GetPrunedThroughAsync(cancellationToken).ConfigureAwait(false);
        var verifier = new LedgerVerifier(ledgerId, keys, prunedThrough);
        await foreach (var checkpoint in store.ReadCheckpointsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (!verifier.AddCheckpoint(checkpoint))
            {
                return verifier.Complete();
            }
        }

        // Reading rows and re-hashing them are the two costs: rows are read in chunks, and each chunk is verified
        // (hashed on the cores the reader leaves free, then checked in order) while the next one is read. Chunks are
        // verified one after the other, in stored order. An erased row or a retention record ends the chunk before it
        // and is checked on its own, in order (erased rows have nothing to hash). Two chunks take turns, each with one
        // pooled buffer holding its rows' canonical bytes, so reading allocates nothing per row.
        var erasures = new ErasureAccounting();
        using var first = new EncodedEventChunk(Chunk, ChunkBytes);
        using var second = new EncodedEventChunk(Chunk, ChunkBytes);
        var chunk = first;
        var spare = second;
        var verifying = Task.FromResult(true);
        try
        {
            await using var rows = await store.OpenRowCursorAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false);
            while (await rows.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var erasedBy = rows.ErasedBy;
                var isRecord = erasedBy is null && rows.Body.IndexOf(ErasureAccounting.RecordMarker) >= 0;
                if (erasedBy is not null || isRecord)
                {
                    if (!await verifying.ConfigureAwait(false) || !verifier.AddEncodedEvents(chunk.Seal()))
                    {
                        return verifier.Complete();
                    }

                    chunk.Clear();
                    var sequence = rows.Sequence;
                    var previous = rows.PreviousHash;
                    var hash = rows.Hash;
                    if (erasedBy is { } by)
                    {
                        erasures.AddErased(sequence, hash, by);
                        if (!verifier.AddErasedEvent(sequence, previous, hash))
                        {
                            return verifier.Complete();
                        }
                    }
                    else if (!verifier.AddEncodedEvent(sequence, previous, hash, rows.Body)
                        || (erasures.AddEvent(AuditEventReader.Parse(rows.Body, previous, hash)) is { } problem && !verifier.ReportMalformed(problem)))
                    {
                        return verifier.Complete();
                    }

                    continue;
                }

                chunk.Add(rows.Sequence, rows.PreviousHash, rows.Hash, rows.Body);
                if (chunk.IsFull)
                {
                    if (!await verifying.ConfigureAwait(false))
                    {
                        return verifier.Complete();
                    }

                    // The spare chunk's verification has finished (awaited just above): it takes the next rows.
                    var full = chunk.Seal();
                    verifying = Task.Run(() => verifier.AddEncodedEvents(full), cancellationToken);
                    (chunk, spare) = (spare, chunk);
                    chunk.Clear();
                }
            }

            if (await verifying.ConfigureAwait(false))
            {
                verifier.AddEncodedEvents(chunk.Seal());
            }
        }
        finally
        {
            // Both chunks' buffers go back to the pool when this returns: no verification may still be reading one.
            await ((Task)verifying).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        var report = verifier.Complete();
        return report.IsIntact && erasures.Complete(prunedThrough, report.LastSequence - report.UnanchoredEvents) is { } unrecorded
            ? report with { Problem = unrecorded }
            : report;
    }

    private const int Chunk = 4096;

    // A chunk's buffer to start with: about a typical event's canonical bytes (0.5 KB) per row; it grows as needed.
    private const int ChunkBytes = Chunk * 512;
}
