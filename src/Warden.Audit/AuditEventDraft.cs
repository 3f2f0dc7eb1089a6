using System.Text.Json;

namespace Warden.Audit;

/// <summary>
/// What a caller hands to <see cref="AuditWriter.AppendAsync"/>: an event without sequence, time or hashes,
/// which the writer assigns. Field meanings are as on <see cref="AuditEvent"/>.
/// </summary>
public sealed record AuditEventDraft
{
    /// <inheritdoc cref="AuditEvent.OrgId"/>
    public required string OrgId { get; init; }

    /// <inheritdoc cref="AuditEvent.Actor"/>
    public required AuditActor Actor { get; init; }

    /// <inheritdoc cref="AuditEvent.OnBehalfOf"/>
    public string? OnBehalfOf { get; init; }

    /// <inheritdoc cref="AuditEvent.Source"/>
    public AuditSource Source { get; init; } = AuditSource.Warden;

    /// <inheritdoc cref="AuditEvent.Action"/>
    public required string Action { get; init; }

    /// <inheritdoc cref="AuditEvent.Resource"/>
    public AuditResource? Resource { get; init; }

    /// <inheritdoc cref="AuditEvent.Policy"/>
    public PolicyDecision? Policy { get; init; }

    /// <inheritdoc cref="AuditEvent.Outcome"/>
    public AuditOutcome Outcome { get; init; } = AuditOutcome.Success;

    /// <summary>Optional JSON object; redacted and canonicalised by the writer before hashing.</summary>
    public JsonElement? Details { get; init; }

    /// <inheritdoc cref="AuditEvent.Cost"/>
    public AuditCost? Cost { get; init; }

    /// <inheritdoc cref="AuditEvent.TraceId"/>
    public string? TraceId { get; init; }

    /// <inheritdoc cref="AuditEvent.SpanId"/>
    public string? SpanId { get; init; }
}
