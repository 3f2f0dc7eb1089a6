namespace Warden.Data.Audit;

/// <summary>
/// Filters for reading the ledger. Results are newest first, continuing below <see cref="Before"/>; with
/// <see cref="After"/> they are oldest first above it (how a follower catches up). <see cref="Action"/> ending in
/// <c>*</c> matches a prefix (<c>token.*</c>).
/// </summary>
public sealed record AuditQuery
{
    /// <summary>Largest page.</summary>
    public const int MaxLimit = 1000;

    /// <summary>Events at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Events before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Actor id (user id, session id, key id...).</summary>
    public string? Actor { get; init; }

    /// <summary>Action, exact or prefix with a trailing <c>*</c>.</summary>
    public string? Action { get; init; }

    /// <summary>Resource type.</summary>
    public string? ResourceType { get; init; }

    /// <summary>Resource id.</summary>
    public string? ResourceId { get; init; }

    /// <summary>Agent session id.</summary>
    public string? Session { get; init; }

    /// <summary>Source vendor (<c>warden</c> for Warden's own events).</summary>
    public string? Vendor { get; init; }

    /// <summary>Outcome: success, failure, denied, error.</summary>
    public string? Outcome { get; init; }

    /// <summary>Cursor: only events with a lower sequence (newest-first paging).</summary>
    public long? Before { get; init; }

    /// <summary>Cursor: only events with a higher sequence (oldest-first, for following).</summary>
    public long? After { get; init; }

    /// <summary>Page size, 1 to <see cref="MaxLimit"/>.</summary>
    public int Limit { get; init; } = 100;
}
