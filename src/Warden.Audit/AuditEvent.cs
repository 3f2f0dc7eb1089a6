using System.Text.Json;

namespace Warden.Audit;

/// <summary>
/// One immutable, hash-chained entry in the audit ledger. Built by <see cref="AuditWriter"/> from an
/// <see cref="AuditEventDraft"/>; stores persist and return it unchanged.
/// </summary>
/// <remarks>
/// Record equality does not compare <see cref="Details"/> structurally (a <see cref="JsonElement"/> has no
/// value equality); compare <see cref="Hash"/> instead, which covers every field.
/// </remarks>
public sealed record AuditEvent
{
    /// <summary>Position in the ledger, starting at 1, contiguous, assigned by the writer.</summary>
    public required long Sequence { get; init; }

    /// <summary>When the ledger recorded the event (UTC, millisecond precision).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Organisation (tenant) the event belongs to.</summary>
    public required string OrgId { get; init; }

    /// <summary>Who did it.</summary>
    public required AuditActor Actor { get; init; }

    /// <summary>User id the actor acted for, e.g. the user who started an agent session.</summary>
    public string? OnBehalfOf { get; init; }

    /// <summary>Which product produced the event.</summary>
    public required AuditSource Source { get; init; }

    /// <summary>Dotted lowercase action name, e.g. <c>auth.login</c>, <c>token.create</c>, <c>model.invoke</c>, <c>tool.call</c>.</summary>
    public required string Action { get; init; }

    /// <summary>What it was done to, if anything.</summary>
    public AuditResource? Resource { get; init; }

    /// <summary>The governing policy decision, if one was evaluated.</summary>
    public PolicyDecision? Policy { get; init; }

    /// <summary>How it ended.</summary>
    public required AuditOutcome Outcome { get; init; }

    /// <summary>
    /// Free-form details as a JSON object, already redacted and canonicalised (keys sorted, numbers
    /// normalised). Prefer OpenTelemetry attribute names for keys where one exists, e.g.
    /// <c>gen_ai.request.model</c>, <c>gen_ai.usage.input_tokens</c>, <c>gen_ai.tool.name</c>.
    /// </summary>
    public JsonElement? Details { get; init; }

    /// <summary>Cost attributed to the event, if any.</summary>
    public AuditCost? Cost { get; init; }

    /// <summary>W3C trace id: 32 lowercase hex digits.</summary>
    public string? TraceId { get; init; }

    /// <summary>W3C span id: 16 lowercase hex digits.</summary>
    public string? SpanId { get; init; }

    /// <summary>Hash of the previous event, or the ledger's genesis value for sequence 1.</summary>
    public required AuditHash PreviousHash { get; init; }

    /// <summary><c>SHA-256(PreviousHash || canonical bytes)</c>; see <see cref="Canonical.AuditCanonicalJson"/>.</summary>
    public required AuditHash Hash { get; init; }
}
