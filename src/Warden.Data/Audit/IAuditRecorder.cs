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
}
