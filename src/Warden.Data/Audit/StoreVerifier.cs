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

        await foreach (var row in store.ReadRowsAsync(1, long.MaxValue, cancellationToken).ConfigureAwait(false))
        {
            if (!verifier.AddEncodedEvent(row.Sequence, new AuditHash(row.PreviousHash), new AuditHash(row.Hash), row.Body))
            {
                break;
            }
        }

        return verifier.Complete();
    }
}
