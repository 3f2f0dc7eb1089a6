using System.Globalization;
using System.Text.Json;

namespace Warden.Audit.Canonical;

/// <summary>Turns canonical event JSON (see <see cref="AuditCanonicalJson"/>) back into an <see cref="AuditEvent"/>.</summary>
public static class AuditEventReader
{
    /// <summary>
    /// Parses the canonical JSON of one event. Field order is not enforced here; hash verification is what
    /// proves the bytes are the ones the ledger wrote.
    /// </summary>
    /// <exception cref="FormatException">The JSON is not a version-1 event.</exception>
    public static AuditEvent Parse(ReadOnlySpan<byte> canonicalJson, in AuditHash previousHash, in AuditHash hash)
    {
        try
        {
            // Parses straight from the caller's bytes (no intermediate copy); details are cloned out of the document.
            var reader = new Utf8JsonReader(canonicalJson, new JsonReaderOptions { MaxDepth = AuditCanonicalJson.MaxDetailsDepth + 8 });
            using var document = JsonDocument.ParseValue(ref reader);
            if (reader.BytesConsumed != canonicalJson.Length)
            {
                throw new FormatException("Unexpected data after the event object.");
            }

            return Parse(document.RootElement, previousHash, hash);
        }
        catch (JsonException ex)
        {
            throw new FormatException("Event is not valid JSON.", ex);
        }
    }

    /// <summary>Parses an already-parsed canonical event object.</summary>
    /// <exception cref="FormatException">The JSON is not a version-1 event.</exception>
    public static AuditEvent Parse(JsonElement root, in AuditHash previousHash, in AuditHash hash)
    {
        try
        {
            if (root.ValueKind != JsonValueKind.Object || root.GetProperty("v").GetInt32() != AuditCanonicalJson.Version)
            {
                throw new FormatException("Not a version-1 audit event.");
            }

            var actor = root.GetProperty("actor");
            if (!AuditCanonicalJson.TryParseActorKind(actor.GetProperty("kind").GetString(), out var kind))
            {
                throw new FormatException("Unknown actor kind.");
            }

            if (!AuditCanonicalJson.TryParseOutcome(root.GetProperty("outcome").GetString(), out var outcome))
            {
                throw new FormatException("Unknown outcome.");
            }

            var source = root.GetProperty("source");
            return new AuditEvent
            {
                Sequence = root.GetProperty("seq").GetInt64(),
                Timestamp = DateTimeOffset.ParseExact(root.GetProperty("time").GetString()!, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                OrgId = root.GetProperty("org").GetString()!,
                Actor = new AuditActor(kind, actor.GetProperty("id").GetString()!, OptionalString(actor, "display")),
                OnBehalfOf = OptionalString(root, "on_behalf_of"),
                Source = new AuditSource(
                    source.GetProperty("vendor").GetString()!,
                    source.GetProperty("product").GetString()!,
                    OptionalString(source, "session_id"),
                    OptionalString(source, "external_event_id")),
                Action = root.GetProperty("action").GetString()!,
                Resource = root.TryGetProperty("resource", out var resource)
                    ? new AuditResource(resource.GetProperty("type").GetString()!, resource.GetProperty("id").GetString()!)
                    : null,
                Policy = root.TryGetProperty("policy", out var policy) ? ParsePolicy(policy) : null,
                Outcome = outcome,
                Details = root.TryGetProperty("details", out var details) ? details.Clone() : null,
                Cost = root.TryGetProperty("cost", out var cost)
                    ? new AuditCost(decimal.Parse(cost.GetProperty("amount").GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture), cost.GetProperty("unit").GetString()!)
                    : null,
                TraceId = OptionalString(root, "trace_id"),
                SpanId = OptionalString(root, "span_id"),
                PreviousHash = previousHash,
                Hash = hash,
            };
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or ArgumentNullException or OverflowException)
        {
            throw new FormatException("Malformed audit event: " + ex.Message, ex);
        }
    }

    private static PolicyDecision ParsePolicy(JsonElement policy) => new()
    {
        Effect = policy.GetProperty("effect").GetString() switch
        {
            "allow" => PolicyEffect.Allow,
            "deny" => PolicyEffect.Deny,
            _ => throw new FormatException("Unknown policy effect."),
        },
        PolicySetVersion = policy.GetProperty("version").GetString()!,
        DeterminingPolicies = StringArray(policy.GetProperty("determining")),
        ErroringPolicies = StringArray(policy.GetProperty("erroring")),
    };

    private static string[] StringArray(JsonElement array)
    {
        var result = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            result[i++] = item.GetString() ?? throw new FormatException("Expected a string.");
        }

        return result;
    }

    private static string? OptionalString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetString() : null;
}
