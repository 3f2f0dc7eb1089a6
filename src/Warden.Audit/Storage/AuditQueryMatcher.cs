namespace Warden.Audit.Storage;

/// <summary>The reference semantics of <see cref="AuditQuery"/>, for in-memory stores and for testing database stores against.</summary>
public static class AuditQueryMatcher
{
    /// <summary>Largest accepted <see cref="AuditQuery.Limit"/>.</summary>
    public const int MaxLimit = 10_000;

    /// <summary>Throws when the query is unusable (limit out of range, malformed action pattern).</summary>
    public static void Validate(AuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1, nameof(query));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, MaxLimit, nameof(query));
        if (query.Action is { } action && action.Contains('*', StringComparison.Ordinal) && (!action.EndsWith(".*", StringComparison.Ordinal) || action.IndexOf('*', StringComparison.Ordinal) != action.Length - 1))
        {
            throw new ArgumentException("Action filters are exact or end in '.*'.", nameof(query));
        }
    }

    /// <summary>True when <paramref name="e"/> satisfies every criterion set on <paramref name="query"/> (cursors included, limit and order excluded).</summary>
    public static bool Matches(AuditQuery query, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(e);
        return (query.OrgId is null || e.OrgId == query.OrgId)
            && (query.From is null || e.Timestamp >= query.From)
            && (query.Until is null || e.Timestamp < query.Until)
            && (query.ActorKind is null || e.Actor.Kind == query.ActorKind)
            && (query.ActorId is null || e.Actor.Id == query.ActorId)
            && (query.OnBehalfOf is null || e.OnBehalfOf == query.OnBehalfOf)
            && (query.Action is null || ActionMatches(query.Action, e.Action))
            && (query.Outcome is null || e.Outcome == query.Outcome)
            && (query.ResourceType is null || e.Resource?.Type == query.ResourceType)
            && (query.ResourceId is null || e.Resource?.Id == query.ResourceId)
            && (query.SessionId is null || e.Source.SessionId == query.SessionId)
            && (query.TraceId is null || e.TraceId == query.TraceId)
            && (query.AfterSequence is null || e.Sequence > query.AfterSequence)
            && (query.BeforeSequence is null || e.Sequence < query.BeforeSequence);
    }

    private static bool ActionMatches(string filter, string action) =>
        filter.EndsWith(".*", StringComparison.Ordinal)
            ? action.StartsWith(filter.AsSpan(0, filter.Length - 1), StringComparison.Ordinal)
            : action == filter;
}
