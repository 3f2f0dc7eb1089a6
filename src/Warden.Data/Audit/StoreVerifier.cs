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

        // Reading rows and re-hashing them are the two costs, of about the same size: rows are read in chunks, and
        // each chunk is verified (hashed on the cores the reader leaves free, then checked in order) while the next
        // one is read. Chunks are verified one after the other, in stored order. An erased row or a retention record
        // ends the chunk before it and is checked on its own, in order (erased rows have nothing to hash).
        var erasures = new ErasureAccounting();
        var chunk = new EncodedAuditEvent[Chunk];
        var spare = new EncodedAuditEvent[Chunk];
        var count = 0;
        var verifying = Task.FromResult(true);
        await foreach (var row in store.ReadRowsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            var previous = new AuditHash(row.PreviousHash);
            var hash = new AuditHash(row.Hash);
            var isRecord = row.ErasedBy is null && row.Body.AsSpan().IndexOf(ErasureAccounting.RecordMarker) >= 0;
            if (row.ErasedBy is not null || isRecord)
            {
                if (!await verifying.ConfigureAwait(false) || !verifier.AddEncodedEvents(chunk.AsMemory(0, count)))
                {
                    return await CompleteAsync().ConfigureAwait(false);
                }

                verifying = Task.FromResult(true);
                count = 0;
                if (row.ErasedBy is { } erasedBy)
                {
                    erasures.AddErased(row.Sequence, hash, erasedBy);
                    if (!verifier.AddErasedEvent(row.Sequence, previous, hash))
                    {
                        return await CompleteAsync().ConfigureAwait(false);
                    }
                }
                else if (!verifier.AddEncodedEvent(row.Sequence, previous, hash, row.Body)
                    || (erasures.AddEvent(AuditEventReader.Parse(row.Body, previous, hash)) is { } problem && !verifier.ReportMalformed(problem)))
                {
                    return await CompleteAsync().ConfigureAwait(false);
                }

                continue;
            }

            chunk[count++] = new EncodedAuditEvent(row.Sequence, previous, hash, row.Body);
            if (count == Chunk)
            {
                if (!await verifying.ConfigureAwait(false))
                {
                    return await CompleteAsync().ConfigureAwait(false);
                }

                var full = chunk;
                verifying = Task.Run(() => verifier.AddEncodedEvents(full), cancellationToken);
                (chunk, spare) = (spare, full);
                count = 0;
            }
        }

        if (await verifying.ConfigureAwait(false))
        {
            verifier.AddEncodedEvents(chunk.AsMemory(0, count));
        }

        var report = verifier.Complete();
        return report.IsIntact && erasures.Complete(prunedThrough, report.LastSequence - report.UnanchoredEvents) is { } unrecorded
            ? report with { Problem = unrecorded }
            : report;

        async Task<VerificationReport> CompleteAsync()
        {
            await verifying.ConfigureAwait(false);
            return verifier.Complete();
        }
    }

    private const int Chunk = 4096;
}
