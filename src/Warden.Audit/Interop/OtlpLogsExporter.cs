using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Warden.Audit.Canonical;

namespace Warden.Audit.Interop;

/// <summary>
/// Builds an OTLP/HTTP JSON logs request body (<c>POST /v1/logs</c>, <c>Content-Type: application/json</c>) for a
/// batch of events. Pure function; sending is the caller's job.
/// </summary>
/// <remarks>
/// One <c>resourceLogs</c> (resource <c>service.name</c> = the <c>serviceName</c> argument) with one <c>scopeLogs</c>
/// (scope <c>warden.audit</c>). Per event: <c>timeUnixNano</c>/<c>observedTimeUnixNano</c> as decimal strings (OTLP
/// JSON encodes 64-bit integers as strings), <c>severityNumber</c> 9 INFO (success), 13 WARN (failure, denied), 17
/// ERROR (error), <c>eventName</c> = action, a short string body, hex <c>traceId</c>/<c>spanId</c>, and attributes:
/// <c>warden.*</c> for ledger fields, <c>gen_ai.conversation.id</c> for the source session, then the top-level
/// details keys as they are (details keys starting with <c>warden.</c> are skipped so they cannot spoof ledger fields).
/// </remarks>
public static class OtlpLogsExporter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>Serialises <paramref name="events"/> as one OTLP logs request.</summary>
    public static byte[] Serialize(IEnumerable<AuditEvent> events, string serviceName = "warden")
    {
        var output = new ArrayBufferWriter<byte>();
        Write(events, output, serviceName);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes <paramref name="events"/> as one OTLP logs request into <paramref name="output"/>.</summary>
    public static void Write(IEnumerable<AuditEvent> events, IBufferWriter<byte> output, string serviceName = "warden")
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(output);
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        w.WriteStartArray("resourceLogs");
        w.WriteStartObject();
        w.WriteStartObject("resource");
        w.WriteStartArray("attributes");
        StringAttribute(w, "service.name", serviceName);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteStartArray("scopeLogs");
        w.WriteStartObject();
        w.WriteStartObject("scope");
        w.WriteString("name", "warden.audit");
        w.WriteString("version", AuditCanonicalJson.Version.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteStartArray("logRecords");
        foreach (var e in events)
        {
            WriteRecord(w, e);
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRecord(Utf8JsonWriter w, AuditEvent e)
    {
        var nanos = ((e.Timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100).ToString(CultureInfo.InvariantCulture);
        var (severityNumber, severityText) = e.Outcome switch
        {
            AuditOutcome.Success => (9, "INFO"),
            AuditOutcome.Error => (17, "ERROR"),
            _ => (13, "WARN"),
        };
        var outcome = AuditCanonicalJson.ToText(e.Outcome);

        w.WriteStartObject();
        w.WriteString("timeUnixNano", nanos);
        w.WriteString("observedTimeUnixNano", nanos);
        w.WriteNumber("severityNumber", severityNumber);
        w.WriteString("severityText", severityText);
        w.WriteString("eventName", e.Action);
        w.WriteStartObject("body");
        w.WriteString("stringValue", $"{e.Action} by {AuditCanonicalJson.ToText(e.Actor.Kind)} {e.Actor.Id}: {outcome}");
        w.WriteEndObject();
        if (e.TraceId is not null)
        {
            w.WriteString("traceId", e.TraceId);
        }

        if (e.SpanId is not null)
        {
            w.WriteString("spanId", e.SpanId);
        }

        w.WriteStartArray("attributes");
        IntAttribute(w, "warden.audit.sequence", e.Sequence);
        StringAttribute(w, "warden.audit.hash", e.Hash.ToString());
        StringAttribute(w, "warden.audit.prev_hash", e.PreviousHash.ToString());
        StringAttribute(w, "warden.org.id", e.OrgId);
        StringAttribute(w, "warden.actor.kind", AuditCanonicalJson.ToText(e.Actor.Kind));
        StringAttribute(w, "warden.actor.id", e.Actor.Id);
        StringAttribute(w, "warden.actor.display", e.Actor.Display);
        StringAttribute(w, "warden.on_behalf_of", e.OnBehalfOf);
        StringAttribute(w, "warden.source.vendor", e.Source.Vendor);
        StringAttribute(w, "warden.source.product", e.Source.Product);
        StringAttribute(w, "gen_ai.conversation.id", e.Source.SessionId);
        StringAttribute(w, "warden.source.external_event_id", e.Source.ExternalEventId);
        StringAttribute(w, "warden.outcome", outcome);
        if (e.Resource is { } resource)
        {
            StringAttribute(w, "warden.resource.type", resource.Type);
            StringAttribute(w, "warden.resource.id", resource.Id);
        }

        if (e.Policy is { } policy)
        {
            StringAttribute(w, "warden.policy.effect", policy.Effect == PolicyEffect.Allow ? "allow" : "deny");
            StringAttribute(w, "warden.policy.version", policy.PolicySetVersion);
            StringArrayAttribute(w, "warden.policy.determining", policy.DeterminingPolicies);
            StringArrayAttribute(w, "warden.policy.erroring", policy.ErroringPolicies);
        }

        if (e.Cost is { } cost)
        {
            // A string keeps the decimal exact; doubleValue would round.
            StringAttribute(w, "warden.cost.amount", cost.Amount.ToString(CultureInfo.InvariantCulture));
            StringAttribute(w, "warden.cost.unit", cost.Unit);
        }

        if (e.Details is { ValueKind: JsonValueKind.Object } details)
        {
            foreach (var property in details.EnumerateObject())
            {
                if (property.Name.StartsWith("warden.", StringComparison.Ordinal))
                {
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("key", property.Name);
                w.WritePropertyName("value");
                AnyValue(w, property.Value);
                w.WriteEndObject();
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes a JSON value as an OTLP AnyValue.</summary>
    internal static void AnyValue(Utf8JsonWriter w, JsonElement value)
    {
        w.WriteStartObject();
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                w.WriteString("stringValue", value.GetString());
                break;
            case JsonValueKind.True or JsonValueKind.False:
                w.WriteBoolean("boolValue", value.GetBoolean());
                break;
            case JsonValueKind.Number when value.TryGetInt64(out var integer):
                w.WriteString("intValue", integer.ToString(CultureInfo.InvariantCulture));
                break;
            case JsonValueKind.Number:
                w.WriteNumber("doubleValue", value.GetDouble());
                break;
            case JsonValueKind.Array:
                w.WriteStartObject("arrayValue");
                w.WriteStartArray("values");
                foreach (var item in value.EnumerateArray())
                {
                    AnyValue(w, item);
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            case JsonValueKind.Object:
                w.WriteStartObject("kvlistValue");
                w.WriteStartArray("values");
                foreach (var property in value.EnumerateObject())
                {
                    w.WriteStartObject();
                    w.WriteString("key", property.Name);
                    w.WritePropertyName("value");
                    AnyValue(w, property.Value);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
                break;
            default:
                // Null: an empty AnyValue is OTLP's "no value".
                break;
        }

        w.WriteEndObject();
    }

    private static void StringAttribute(Utf8JsonWriter w, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        w.WriteString("stringValue", value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void IntAttribute(Utf8JsonWriter w, string key, long value)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        w.WriteString("intValue", value.ToString(CultureInfo.InvariantCulture));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void StringArrayAttribute(Utf8JsonWriter w, string key, IReadOnlyList<string> values)
    {
        w.WriteStartObject();
        w.WriteString("key", key);
        w.WriteStartObject("value");
        w.WriteStartObject("arrayValue");
        w.WriteStartArray("values");
        foreach (var value in values)
        {
            w.WriteStartObject();
            w.WriteString("stringValue", value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
