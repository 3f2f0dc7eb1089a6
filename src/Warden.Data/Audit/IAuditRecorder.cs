using System.Data.Common;
using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>
/// Where stores report what they changed. The server backs it with the ledger's group-commit writer; the call
/// returns once the event is durable, so an acknowledged change always has its audit event.
/// </summary>
public interface IAuditRecorder
{
    /// <summary>Records one event and waits until it is durable.</summary>
    Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records <paramref name="drafts"/> and runs <paramref name="work"/> (database work, as for
    /// <see cref="ConnectionFactory.WriteAsync{T}"/>) so that the work is never durable without its events. The server's
    /// ledger commits both in one transaction (one durable write); this default records the events first, each durable
    /// before the next step, then runs the work in a write of its own.
    /// </summary>
    async Task<T> RecordWithAsync<T>(IReadOnlyList<AuditEventDraft> drafts, ConnectionFactory connections, Func<DbConnection, DbTransaction, Task<T>> work,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(drafts);
        ArgumentNullException.ThrowIfNull(connections);
        foreach (var draft in drafts)
        {
            await RecordAsync(draft, cancellationToken).ConfigureAwait(false);
        }

        return await connections.WriteAsync(work, cancellationToken).ConfigureAwait(false);
    }
}
