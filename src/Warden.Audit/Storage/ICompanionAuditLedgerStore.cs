namespace Warden.Audit.Storage;

/// <summary>
/// Optional for an <see cref="IEncodedAuditLedgerStore"/> whose transaction can carry other writes: the events of a
/// batch and the <see cref="AuditCompanionWrite"/>s appended with some of them commit together.
/// </summary>
/// <remarks>
/// Same contract as <see cref="IEncodedAuditLedgerStore.AppendEncodedAsync"/>, and: each companion runs inside the
/// batch's transaction after its events are written, in the order given; if one throws, nothing of the batch is
/// written and the store throws <see cref="AuditCompanionException"/> naming it, so the writer fails only that
/// companion's caller and writes the others' events again.
/// </remarks>
public interface ICompanionAuditLedgerStore : IEncodedAuditLedgerStore
{
    /// <summary>Atomically and durably appends a batch together with <paramref name="companions"/> (possibly empty).</summary>
    /// <exception cref="AuditStoreConflictException">The batch does not continue the stored chain.</exception>
    /// <exception cref="AuditCompanionException">A companion threw; nothing was written.</exception>
    ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, IReadOnlyList<AuditCompanionWrite> companions, CancellationToken cancellationToken = default);
}
