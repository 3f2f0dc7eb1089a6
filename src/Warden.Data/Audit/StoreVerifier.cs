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
    /// <summary>How a retention record's action reads in canonical bytes: a cheap filter before parsing the event.</summary>
    private static ReadOnlySpan<byte> RetentionMarker => "\"action\":\"audit.retention."u8;

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

        var erasures = new ErasureAccounting();
        await foreach (var row in store.ReadRowsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            var previous = new AuditHash(row.PreviousHash);
            var hash = new AuditHash(row.Hash);
            if (row.ErasedBy is { } erasedBy)
            {
                erasures.AddErased(row.Sequence, hash, erasedBy);
                if (!verifier.AddErasedEvent(row.Sequence, previous, hash))
                {
                    break;
                }

                continue;
            }

            if (!verifier.AddEncodedEvent(row.Sequence, previous, hash, row.Body))
            {
                break;
            }

            if (row.Body.AsSpan().IndexOf(RetentionMarker) >= 0
                && erasures.AddEvent(AuditEventReader.Parse(row.Body, previous, hash)) is { } problem)
            {
                verifier.ReportMalformed(problem);
                break;
            }
        }

        var report = verifier.Complete();
        return report.IsIntact && erasures.Complete(prunedThrough, report.LastSequence - report.UnanchoredEvents) is { } unrecorded
            ? report with { Problem = unrecorded }
            : report;
    }
}
