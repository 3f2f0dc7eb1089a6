using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>Records nothing: for store tests that are not about auditing, and for offline tools.</summary>
public sealed class NullAuditRecorder : IAuditRecorder
{
    /// <summary>The shared instance.</summary>
    public static NullAuditRecorder Instance { get; } = new();

    /// <inheritdoc />
    public Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
