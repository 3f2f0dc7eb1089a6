using Warden.Audit;
using Warden.Data.Audit;

namespace Warden.Data.Tests;

/// <summary>An audit recorder that keeps the drafts it is given, for stores' tests to assert what they recorded.</summary>
internal sealed class RecordingAudit : IAuditRecorder
{
    public List<AuditEventDraft> Drafts { get; } = [];

    public Task RecordAsync(AuditEventDraft draft, CancellationToken cancellationToken = default)
    {
        lock (Drafts)
        {
            Drafts.Add(draft);
        }

        return Task.CompletedTask;
    }
}
