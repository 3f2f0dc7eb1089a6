using Warden.Audit;

namespace Warden.Data.Audit;

/// <summary>One page of events and the cursor for the next page (null at the end).</summary>
public sealed record AuditPage(IReadOnlyList<AuditEvent> Events, long? NextCursor);
