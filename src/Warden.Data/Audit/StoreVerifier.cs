using Warden.Audit;
using Warden.Audit.Signing;
using Warden.Audit.Verification;

namespace Warden.Data.Audit;

/// <summary>Verifies a ledger in place: every event re-hashed from its stored canonical bytes, every checkpoint's signature and link.</summary>
public static class StoreVerifier
{
    /// <summary>
    /// Checks the whole ledger against <paramref name="keys"/>. Checkpoints are loaded first: the verifier holds each
    /// until the events reach its end, so one that covers events no longer stored reports a truncated tail.
    /// </summary>
    public static async Task<VerificationReport> VerifyAsync(SqlAuditLedgerStore store, string ledgerId, AuditPublicKeySet keys, CancellationToken cancellationToken = default)
    {
        var verifier = new LedgerVerifier(ledgerId, keys);
        await foreach (var checkpoint in store.ReadCheckpointsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (!verifier.AddCheckpoint(checkpoint))
            {
                return verifier.Complete();
            }
        }

        // Reading rows and re-hashing them are the two costs, of about the same size: rows are read in chunks, and
        // each chunk is verified (hashed on the cores the reader leaves free, then checked in order) while the next
        // one is read. Chunks are verified one after the other, in stored order.
        var chunk = new EncodedAuditEvent[Chunk];
        var spare = new EncodedAuditEvent[Chunk];
        var count = 0;
        var verifying = Task.FromResult(true);
        await foreach (var row in store.ReadRowsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            chunk[count++] = new EncodedAuditEvent(row.Sequence, new AuditHash(row.PreviousHash), new AuditHash(row.Hash), row.Body);
            if (count == Chunk)
            {
                if (!await verifying.ConfigureAwait(false))
                {
                    return verifier.Complete();
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

        return verifier.Complete();
    }

    private const int Chunk = 4096;
}
