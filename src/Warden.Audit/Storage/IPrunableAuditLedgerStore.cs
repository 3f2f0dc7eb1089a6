namespace Warden.Audit.Storage;

/// <summary>
/// A ledger store that retention may prune: events whose content was erased keep their place in the chain (sequence
/// and hashes), and a prefix of them up to a checkpoint may be removed altogether. Verification and export use this
/// view; <see cref="IAuditLedgerStore.ReadEventsAsync"/> returns only events that still have their content.
/// </summary>
public interface IPrunableAuditLedgerStore : IAuditLedgerStore
{
    /// <summary>Events 1..this were removed by retention (0: none); the checkpoint ending here anchors the rest.</summary>
    ValueTask<long> GetPrunedThroughAsync(CancellationToken cancellationToken = default);

    /// <summary>Every stored position in [<paramref name="fromSequence"/>, <paramref name="toSequence"/>], ascending: whole events and erased ones.</summary>
    IAsyncEnumerable<AuditLedgerEntry> ReadEntriesAsync(long fromSequence, long toSequence, CancellationToken cancellationToken = default);
}

/// <summary>One position in a stored chain: an event with its content, or what is left of one retention erased.</summary>
public readonly record struct AuditLedgerEntry(AuditEvent? Event, AuditErasedEntry? Erased)
{
    /// <summary>The position's sequence number.</summary>
    public long Sequence => Event?.Sequence ?? Erased!.Sequence;
}

/// <summary>An event whose content retention erased: its sequence and hashes stay, so the chain still links through it.</summary>
/// <param name="Sequence">The event's sequence.</param>
/// <param name="PreviousHash">Its stored previous-event hash.</param>
/// <param name="Hash">Its stored hash (no longer recomputable).</param>
/// <param name="ErasedBy">Sequence of the <c>audit.retention.erase</c> event that accounts for the erasure.</param>
public sealed record AuditErasedEntry(long Sequence, AuditHash PreviousHash, AuditHash Hash, long ErasedBy);
