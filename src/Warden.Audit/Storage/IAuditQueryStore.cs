namespace Warden.Audit.Storage;

/// <summary>Search over stored events. Implemented by database stores next to <see cref="IAuditLedgerStore"/>.</summary>
public interface IAuditQueryStore
{
    /// <summary>
    /// Events matching <paramref name="query"/> in sequence order (see <see cref="AuditQuery"/>), at most
    /// <see cref="AuditQuery.Limit"/>. Must agree with <see cref="AuditQueryMatcher.Matches"/>.
    /// </summary>
    IAsyncEnumerable<AuditEvent> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
