namespace Warden.Audit.Storage;

/// <summary>
/// A filter over stored events for search UIs and APIs. All set criteria must match (AND); unset ones match
/// everything. Results are ordered by sequence — ascending, or descending when <see cref="Descending"/> — and paged
/// with a sequence cursor (<see cref="AfterSequence"/> / <see cref="BeforeSequence"/>) rather than offsets, so pages
/// stay stable while events are appended. See <see cref="AuditQueryMatcher"/> for the reference semantics.
/// </summary>
public sealed record AuditQuery
{
    /// <summary>Only this organisation's events. Servers should always set it for tenant isolation.</summary>
    public string? OrgId { get; init; }

    /// <summary>Events recorded at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Events recorded strictly before this time.</summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>Only actors of this kind.</summary>
    public ActorKind? ActorKind { get; init; }

    /// <summary>Only this actor id (exact).</summary>
    public string? ActorId { get; init; }

    /// <summary>Only events done on behalf of this user id (exact).</summary>
    public string? OnBehalfOf { get; init; }

    /// <summary>
    /// Action filter: exact (<c>auth.login</c>) or a prefix ending in <c>.*</c> (<c>token.*</c> matches
    /// <c>token.create</c> and <c>token.revoke</c>, not <c>tokens.x</c>).
    /// </summary>
    public string? Action { get; init; }

    /// <summary>Only this outcome.</summary>
    public AuditOutcome? Outcome { get; init; }

    /// <summary>Only this resource type.</summary>
    public string? ResourceType { get; init; }

    /// <summary>Only this resource id (usually with <see cref="ResourceType"/>).</summary>
    public string? ResourceId { get; init; }

    /// <summary>Only this source session / conversation id.</summary>
    public string? SessionId { get; init; }

    /// <summary>Only this W3C trace id.</summary>
    public string? TraceId { get; init; }

    /// <summary>Cursor: only sequences greater than this.</summary>
    public long? AfterSequence { get; init; }

    /// <summary>Cursor: only sequences less than this.</summary>
    public long? BeforeSequence { get; init; }

    /// <summary>Newest first.</summary>
    public bool Descending { get; init; }

    /// <summary>Most events returned (1–10,000).</summary>
    public int Limit { get; init; } = 100;
}
