using System.Buffers;
using System.Text;

namespace Warden.Audit.Canonical;

/// <summary>
/// The canonical, versioned byte encoding of events and checkpoints that hashes and signatures cover.
/// </summary>
/// <remarks>
/// <para><b>Event encoding, version 1.</b> A single-line JSON object in UTF-8 with no insignificant whitespace,
/// fields in exactly this order, optional fields omitted (never <c>null</c>) when absent:</para>
/// <code>
/// {"v":1,"seq":N,"time":T,"org":S,
///  "actor":{"kind":K,"id":S[,"display":S]}[,"on_behalf_of":S],
///  "source":{"vendor":S,"product":S[,"session_id":S][,"external_event_id":S]},
///  "action":S[,"resource":{"type":S,"id":S}],
///  [,"policy":{"effect":"allow"|"deny","version":S,"determining":[S...],"erroring":[S...]}],
///  "outcome":"success"|"failure"|"denied"|"error"
///  [,"details":{...}][,"cost":{"amount":D,"unit":S}][,"trace_id":S][,"span_id":S]}
/// </code>
/// <list type="bullet">
/// <item><c>seq</c>: decimal integer without sign or leading zeros.</item>
/// <item><c>time</c>: UTC as <c>"yyyy-MM-ddTHH:mm:ss.fffZ"</c> (always three fraction digits).</item>
/// <item>Actor kinds: <c>user</c>, <c>agent_session</c>, <c>api_key</c>, <c>worker</c>, <c>external_tool</c>, <c>system</c>.</item>
/// <item>Strings: UTF-8 (invalid UTF-16 replaced by U+FFFD); only <c>"</c>, <c>\</c> and U+0000–U+001F are escaped,
/// as <c>\"</c>, <c>\\</c>, <c>\b \f \n \r \t</c> or lowercase <c>\u00xx</c>; everything else is literal.</item>
/// <item><c>cost.amount</c>: a JSON string holding the decimal in invariant culture with trailing zeros removed (<c>"0.0125"</c>).</item>
/// <item><c>details</c>: object keys sorted by ordinal comparison of their UTF-8 bytes (recursively); arrays keep
/// their order; numbers that are integers of magnitude below 2^53 (or fit in a signed 64-bit integer as written) are
/// plain integers, <c>-0</c> is <c>0</c>, other numbers are the IEEE-754 double written in .NET's shortest
/// round-trip form (<c>"R"</c>, e.g. <c>0.1</c>, <c>1E+20</c>, <c>1.5E-07</c>); <c>true</c>/<c>false</c>/<c>null</c> literal.
/// Nesting is limited to <see cref="MaxDetailsDepth"/> levels.</item>
/// </list>
/// <para><b>Event hash</b> = <c>SHA-256(previous hash (32 raw bytes) || canonical event bytes)</c>. The previous hash of
/// sequence 1 is the ledger's genesis value: <c>SHA-256(UTF-8("warden.audit.genesis.v1:" + ledgerId))</c>.</para>
/// <para><b>Checkpoint encoding, version 1</b>, same string and time rules:</para>
/// <code>
/// {"v":1,"ledger":S,"from":N,"to":N,"last_hash":H,"prev_checkpoint":H,"time":T,"key_id":S}
/// </code>
/// <para>where <c>H</c> is 64 lowercase hex digits in quotes. The checkpoint hash is <c>SHA-256(canonical checkpoint bytes)</c>,
/// and the signature is ECDSA P-256 with SHA-256 over the same bytes, in IEEE P1363 form (r || s, 64 bytes).
/// The first checkpoint's <c>prev_checkpoint</c> is the genesis value.</para>
/// </remarks>
public static class AuditCanonicalJson
{
    /// <summary>Version written in <c>"v"</c>.</summary>
    public const int Version = 1;

    /// <summary>Deepest nesting allowed inside <c>details</c>.</summary>
    public const int MaxDetailsDepth = 32;

    private const string GenesisPrefix = "warden.audit.genesis.v1:";

    /// <summary>The genesis value the first event of ledger <paramref name="ledgerId"/> chains to.</summary>
    public static AuditHash ComputeGenesis(string ledgerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(ledgerId);
        return AuditHash.Compute(Encoding.UTF8.GetBytes(GenesisPrefix + ledgerId));
    }

    /// <summary>Writes the canonical bytes of <paramref name="auditEvent"/> (hash fields excluded).</summary>
    public static void WriteEvent(AuditEvent auditEvent, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            WriteEvent(auditEvent, buffer);
            output.Write(buffer.WrittenSpan);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>The canonical bytes of <paramref name="auditEvent"/> as a new array.</summary>
    public static byte[] EncodeEvent(AuditEvent auditEvent)
    {
        var buffer = CanonicalBuffer.Rent();
        try
        {
            WriteEvent(auditEvent, buffer);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary><c>SHA-256(previous || canonical)</c>.</summary>
    public static AuditHash ComputeEventHash(in AuditHash previous, ReadOnlySpan<byte> canonical) => AuditHash.Compute(previous, canonical);

    /// <summary>
    /// Recomputes the hash of <paramref name="auditEvent"/> from its fields and <see cref="AuditEvent.PreviousHash"/>
    /// (ignores the stored <see cref="AuditEvent.Hash"/>). Allocation-free apart from details canonicalisation of unsorted objects.
    /// </summary>
    public static AuditHash ComputeEventHash(AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            // Encode after a 32-byte prefix holding the previous hash, so one SHA-256 call covers both.
            auditEvent.PreviousHash.WriteTo(buffer.Reserve(AuditHash.Size));
            WriteEvent(auditEvent, buffer);
            return AuditHash.Compute(buffer.WrittenSpan);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>Canonical bytes of a checkpoint (signature excluded): what is hashed and signed.</summary>
    public static byte[] EncodeCheckpoint(AuditCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            buffer.Raw("{\"v\":1,\"ledger\":"u8);
            buffer.String(checkpoint.LedgerId);
            buffer.Raw(",\"from\":"u8);
            buffer.Int64(checkpoint.FromSequence);
            buffer.Raw(",\"to\":"u8);
            buffer.Int64(checkpoint.ToSequence);
            buffer.Raw(",\"last_hash\":"u8);
            buffer.Hex(checkpoint.LastEventHash);
            buffer.Raw(",\"prev_checkpoint\":"u8);
            buffer.Hex(checkpoint.PreviousCheckpointHash);
            buffer.Raw(",\"time\":"u8);
            buffer.Time(checkpoint.Timestamp);
            buffer.Raw(",\"key_id\":"u8);
            buffer.String(checkpoint.KeyId);
            buffer.Byte((byte)'}');
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    internal static void WriteEvent(AuditEvent e, CanonicalBuffer b)
    {
        ArgumentNullException.ThrowIfNull(e);
        WriteEvent(e.Sequence, e.Timestamp, e.OrgId, e.Actor, e.OnBehalfOf, e.Source, e.Action, e.Resource, e.Policy, e.Outcome, e.Details, e.Cost, e.TraceId, e.SpanId, b);
    }

    /// <summary>
    /// The part of the encoding that depends on the ledger's sequence and time: <c>{"v":1,"seq":N,"time":T</c>.
    /// Followed by <see cref="WriteEventTail(AuditEventDraft, CanonicalBuffer)"/> it gives the full canonical event.
    /// </summary>
    internal static void WriteEventHead(long sequence, DateTimeOffset timestamp, CanonicalBuffer b)
    {
        b.Raw("{\"v\":1,\"seq\":"u8);
        b.Int64(sequence);
        b.Raw(",\"time\":"u8);
        b.Time(timestamp);
    }

    /// <summary>Everything after the time (<c>,"org":...}</c>): can be encoded before a sequence is assigned.</summary>
    internal static void WriteEventTail(AuditEventDraft d, CanonicalBuffer b) =>
        WriteEventTail(d.OrgId, d.Actor, d.OnBehalfOf, d.Source, d.Action, d.Resource, d.Policy, d.Outcome, d.Details, d.Cost, d.TraceId, d.SpanId, b);

    private static void WriteEvent(
        long sequence,
        DateTimeOffset timestamp,
        string orgId,
        AuditActor actor,
        string? onBehalfOf,
        AuditSource source,
        string action,
        AuditResource? resourceValue,
        PolicyDecision? policyValue,
        AuditOutcome outcome,
        System.Text.Json.JsonElement? detailsValue,
        AuditCost? costValue,
        string? traceIdValue,
        string? spanIdValue,
        CanonicalBuffer b)
    {
        WriteEventHead(sequence, timestamp, b);
        WriteEventTail(orgId, actor, onBehalfOf, source, action, resourceValue, policyValue, outcome, detailsValue, costValue, traceIdValue, spanIdValue, b);
    }

    private static void WriteEventTail(
        string orgId,
        AuditActor actor,
        string? onBehalfOf,
        AuditSource source,
        string action,
        AuditResource? resourceValue,
        PolicyDecision? policyValue,
        AuditOutcome outcome,
        System.Text.Json.JsonElement? detailsValue,
        AuditCost? costValue,
        string? traceIdValue,
        string? spanIdValue,
        CanonicalBuffer b)
    {
        b.Raw(",\"org\":"u8);
        b.String(orgId);
        b.Raw(",\"actor\":{\"kind\":"u8);
        b.Raw(ActorKindText(actor.Kind));
        b.Raw(",\"id\":"u8);
        b.String(actor.Id);
        if (actor.Display is { } display)
        {
            b.Raw(",\"display\":"u8);
            b.String(display);
        }

        b.Byte((byte)'}');
        if (onBehalfOf is { } obo)
        {
            b.Raw(",\"on_behalf_of\":"u8);
            b.String(obo);
        }

        b.Raw(",\"source\":{\"vendor\":"u8);
        b.String(source.Vendor);
        b.Raw(",\"product\":"u8);
        b.String(source.Product);
        if (source.SessionId is { } session)
        {
            b.Raw(",\"session_id\":"u8);
            b.String(session);
        }

        if (source.ExternalEventId is { } external)
        {
            b.Raw(",\"external_event_id\":"u8);
            b.String(external);
        }

        b.Raw("},\"action\":"u8);
        b.String(action);
        if (resourceValue is { } resource)
        {
            b.Raw(",\"resource\":{\"type\":"u8);
            b.String(resource.Type);
            b.Raw(",\"id\":"u8);
            b.String(resource.Id);
            b.Byte((byte)'}');
        }

        if (policyValue is { } policy)
        {
            b.Raw(",\"policy\":{\"effect\":"u8);
            b.Raw(policy.Effect == PolicyEffect.Allow ? "\"allow\""u8 : "\"deny\""u8);
            b.Raw(",\"version\":"u8);
            b.String(policy.PolicySetVersion);
            b.Raw(",\"determining\":"u8);
            StringArray(b, policy.DeterminingPolicies);
            b.Raw(",\"erroring\":"u8);
            StringArray(b, policy.ErroringPolicies);
            b.Byte((byte)'}');
        }

        b.Raw(",\"outcome\":"u8);
        b.Raw(OutcomeText(outcome));
        if (detailsValue is { } details)
        {
            b.Raw(",\"details\":"u8);
            b.Json(details);
        }

        if (costValue is { } cost)
        {
            b.Raw(",\"cost\":{\"amount\":"u8);
            b.Decimal(cost.Amount);
            b.Raw(",\"unit\":"u8);
            b.String(cost.Unit);
            b.Byte((byte)'}');
        }

        if (traceIdValue is { } traceId)
        {
            b.Raw(",\"trace_id\":"u8);
            b.String(traceId);
        }

        if (spanIdValue is { } spanId)
        {
            b.Raw(",\"span_id\":"u8);
            b.String(spanId);
        }

        b.Byte((byte)'}');
    }

    /// <summary>Canonical name of an actor kind.</summary>
    public static string ToText(ActorKind kind) => kind switch
    {
        ActorKind.User => "user",
        ActorKind.AgentSession => "agent_session",
        ActorKind.ApiKey => "api_key",
        ActorKind.Worker => "worker",
        ActorKind.ExternalTool => "external_tool",
        ActorKind.System => "system",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown actor kind."),
    };

    /// <summary>Canonical name of an outcome.</summary>
    public static string ToText(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Success => "success",
        AuditOutcome.Failure => "failure",
        AuditOutcome.Denied => "denied",
        AuditOutcome.Error => "error",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
    };

    /// <summary>Parses a canonical actor kind name.</summary>
    public static bool TryParseActorKind(string? text, out ActorKind kind)
    {
        kind = text switch
        {
            "user" => ActorKind.User,
            "agent_session" => ActorKind.AgentSession,
            "api_key" => ActorKind.ApiKey,
            "worker" => ActorKind.Worker,
            "external_tool" => ActorKind.ExternalTool,
            "system" => ActorKind.System,
            _ => 0,
        };
        return kind != 0;
    }

    /// <summary>Parses a canonical outcome name.</summary>
    public static bool TryParseOutcome(string? text, out AuditOutcome outcome)
    {
        outcome = text switch
        {
            "success" => AuditOutcome.Success,
            "failure" => AuditOutcome.Failure,
            "denied" => AuditOutcome.Denied,
            "error" => AuditOutcome.Error,
            _ => 0,
        };
        return outcome != 0;
    }

    private static ReadOnlySpan<byte> ActorKindText(ActorKind kind) => kind switch
    {
        ActorKind.User => "\"user\""u8,
        ActorKind.AgentSession => "\"agent_session\""u8,
        ActorKind.ApiKey => "\"api_key\""u8,
        ActorKind.Worker => "\"worker\""u8,
        ActorKind.ExternalTool => "\"external_tool\""u8,
        ActorKind.System => "\"system\""u8,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown actor kind."),
    };

    private static ReadOnlySpan<byte> OutcomeText(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Success => "\"success\""u8,
        AuditOutcome.Failure => "\"failure\""u8,
        AuditOutcome.Denied => "\"denied\""u8,
        AuditOutcome.Error => "\"error\""u8,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
    };

    private static void StringArray(CanonicalBuffer b, IReadOnlyList<string> values)
    {
        b.Byte((byte)'[');
        for (var i = 0; i < values.Count; i++)
        {
            if (i > 0)
            {
                b.Byte((byte)',');
            }

            b.String(values[i]);
        }

        b.Byte((byte)']');
    }
}
