namespace Warden.Audit.Storage;

/// <summary>
/// Optional for an <see cref="IAuditLedgerStore"/> that keeps each event's canonical encoding: the
/// <see cref="AuditWriter"/> has already produced those bytes to hash them and hands them over, so the store does
/// not encode every event a second time on the writer's single commit loop.
/// </summary>
/// <remarks>
/// Same contract as <see cref="IAuditLedgerStore.AppendAsync"/> (atomic, durable on completion, the same conflict
/// check, nothing written on conflict). <c>canonical[i]</c> is exactly
/// <see cref="Canonical.AuditCanonicalJson.EncodeEvent"/> of <c>events[i]</c>, the bytes
/// <see cref="AuditEvent.Hash"/> covers; the store keeps them verbatim and takes its other columns from the events.
/// The arrays belong to the store once passed (the writer does not reuse them).
/// </remarks>
public interface IEncodedAuditLedgerStore : IAuditLedgerStore
{
    /// <summary>Atomically and durably appends a batch, given with each event's canonical encoding.</summary>
    /// <exception cref="AuditStoreConflictException">The batch does not continue the stored chain.</exception>
    ValueTask AppendEncodedAsync(IReadOnlyList<AuditEvent> events, IReadOnlyList<byte[]> canonical, CancellationToken cancellationToken = default);
}
