using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace Warden.Audit.Interop;

/// <summary>
/// Turns an OTLP/HTTP JSON logs request body (e.g. from Claude Code or Codex telemetry export) into audit drafts.
/// Strict and total: malformed input yields a result with a reason, never an exception, and no partial import.
/// </summary>
/// <remarks>
/// Mapping per log record: action = <c>eventName</c> (or attribute <c>event.name</c>), lower-cased with characters
/// outside <c>[a-z0-9_.-]</c> replaced by <c>_</c>; actor = agent session <c>session.id</c> /
/// <c>gen_ai.conversation.id</c> when present, else the external tool (<c>service.name</c>); outcome = error for
/// severity ≥ 17, failure when attribute <c>success</c> is false, else success; external event id =
/// <c>log.record.uid</c> or <c>event.id</c>; trace/span ids kept when valid (all-zero treated as absent). Details hold
/// every record attribute converted from AnyValue to plain JSON, plus <c>otel.time_unix_nano</c>,
/// <c>otel.severity_number</c>, <c>otel.severity_text</c>, <c>otel.body</c>, <c>otel.scope.name</c> and
/// <c>otel.resource</c> (resource attributes). The ledger assigns its own time; the source time stays in details.
/// </remarks>
public static class OtlpLogsImporter
{
    /// <summary>Parses <paramref name="body"/>; see the type remarks for the mapping.</summary>
    public static OtlpImportResult Parse(ReadOnlySpan<byte> body, OtlpImportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = options.MaxDepth });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            return OtlpImportResult.Fail("Body is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            try
            {
                return Map(document.RootElement, options);
            }
            catch (OtlpFormatException ex)
            {
                return OtlpImportResult.Fail(ex.Message);
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException or ArgumentException)
            {
                return OtlpImportResult.Fail("Malformed OTLP logs request: " + ex.Message);
            }
        }
    }

    private static OtlpImportResult Map(JsonElement root, OtlpImportOptions options)
    {
        Expect(root, JsonValueKind.Object, "request");
        var drafts = new List<AuditEventDraft>();
        if (!root.TryGetProperty("resourceLogs", out var resourceLogs))
        {
            return new OtlpImportResult(drafts, null);
        }

        Expect(resourceLogs, JsonValueKind.Array, "resourceLogs");
        foreach (var resourceLog in resourceLogs.EnumerateArray())
        {
            Expect(resourceLog, JsonValueKind.Object, "resourceLogs[]");
            var resourceAttributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            if (resourceLog.TryGetProperty("resource", out var resource))
            {
                Expect(resource, JsonValueKind.Object, "resource");
                ReadAttributes(resource, resourceAttributes, "resource.attributes");
            }

            var product = StringAttribute(resourceAttributes, "service.name") ?? options.DefaultProduct;
            if (!resourceLog.TryGetProperty("scopeLogs", out var scopeLogs))
            {
                continue;
            }

            Expect(scopeLogs, JsonValueKind.Array, "scopeLogs");
            foreach (var scopeLog in scopeLogs.EnumerateArray())
            {
                Expect(scopeLog, JsonValueKind.Object, "scopeLogs[]");
                string? scopeName = null;
                if (scopeLog.TryGetProperty("scope", out var scope))
                {
                    Expect(scope, JsonValueKind.Object, "scope");
                    scopeName = OptionalString(scope, "name");
                }

                if (!scopeLog.TryGetProperty("logRecords", out var records))
                {
                    continue;
                }

                Expect(records, JsonValueKind.Array, "logRecords");
                foreach (var record in records.EnumerateArray())
                {
                    if (drafts.Count >= options.MaxRecords)
                    {
                        throw new OtlpFormatException($"More than {options.MaxRecords} log records.");
                    }

                    drafts.Add(MapRecord(record, drafts.Count, product, scopeName, resourceAttributes, options));
                }
            }
        }

        return new OtlpImportResult(drafts, null);
    }

    private static AuditEventDraft MapRecord(JsonElement record, int index, string product, string? scopeName, Dictionary<string, JsonElement> resourceAttributes, OtlpImportOptions options)
    {
        var where = $"logRecords[{index}]";
        Expect(record, JsonValueKind.Object, where);
        var attributes = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        ReadAttributes(record, attributes, where + ".attributes");

        var eventName = OptionalString(record, "eventName");
        if (string.IsNullOrEmpty(eventName))
        {
            eventName = StringAttribute(attributes, "event.name");
        }

        if (string.IsNullOrEmpty(eventName))
        {
            throw new OtlpFormatException($"{where} has no eventName or event.name attribute.");
        }

        var action = NormalizeAction(eventName);
        try
        {
            AuditDraftValidator.ValidateAction(action);
        }
        catch (ArgumentException)
        {
            throw new OtlpFormatException($"{where} event name '{eventName}' cannot be used as an action.");
        }

        var severity = SeverityNumber(record, where);
        var session = StringAttribute(attributes, "session.id") ?? StringAttribute(attributes, "gen_ai.conversation.id");
        var failed = attributes.TryGetValue("success", out var success)
            && success.ValueKind == JsonValueKind.Object
            && ((success.TryGetProperty("boolValue", out var flag) && flag.ValueKind == JsonValueKind.False)
                || string.Equals(StringAttribute(attributes, "success"), "false", StringComparison.OrdinalIgnoreCase));
        var outcome = severity >= 17 ? AuditOutcome.Error : failed ? AuditOutcome.Failure : AuditOutcome.Success;

        return new AuditEventDraft
        {
            OrgId = options.OrgId,
            Actor = session is not null
                ? new AuditActor(ActorKind.AgentSession, session, product)
                : new AuditActor(ActorKind.ExternalTool, product),
            OnBehalfOf = options.OnBehalfOf,
            Source = new AuditSource(options.Vendor, product, session, StringAttribute(attributes, "log.record.uid") ?? StringAttribute(attributes, "event.id")),
            Action = action,
            Outcome = outcome,
            Details = BuildDetails(record, attributes, resourceAttributes, scopeName, severity, where),
            TraceId = W3CId(record, "traceId", 32, where),
            SpanId = W3CId(record, "spanId", 16, where),
        };
    }

    private static JsonElement BuildDetails(JsonElement record, Dictionary<string, JsonElement> attributes, Dictionary<string, JsonElement> resourceAttributes, string? scopeName, int severity, string where)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            foreach (var (key, value) in attributes)
            {
                w.WritePropertyName(key);
                WritePlain(w, value, where + ".attributes." + key);
            }

            if (record.TryGetProperty("timeUnixNano", out var time))
            {
                w.WriteString("otel.time_unix_nano", Int64Text(time, where + ".timeUnixNano"));
            }

            if (severity != 0)
            {
                w.WriteNumber("otel.severity_number", severity);
            }

            if (OptionalString(record, "severityText") is { } severityText)
            {
                w.WriteString("otel.severity_text", severityText);
            }

            if (record.TryGetProperty("body", out var body))
            {
                w.WritePropertyName("otel.body");
                WritePlain(w, body, where + ".body");
            }

            if (scopeName is not null)
            {
                w.WriteString("otel.scope.name", scopeName);
            }

            if (resourceAttributes.Count > 0)
            {
                w.WriteStartObject("otel.resource");
                foreach (var (key, value) in resourceAttributes)
                {
                    w.WritePropertyName(key);
                    WritePlain(w, value, "resource.attributes." + key);
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(output.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Converts an OTLP AnyValue to plain JSON.</summary>
    private static void WritePlain(Utf8JsonWriter w, JsonElement anyValue, string where)
    {
        Expect(anyValue, JsonValueKind.Object, where);
        JsonProperty? only = null;
        foreach (var property in anyValue.EnumerateObject())
        {
            if (only is not null)
            {
                throw new OtlpFormatException($"{where} sets more than one value field.");
            }

            only = property;
        }

        if (only is not { } p)
        {
            w.WriteNullValue();
            return;
        }

        var value = p.Value;
        switch (p.Name)
        {
            case "stringValue":
                Expect(value, JsonValueKind.String, where);
                w.WriteStringValue(value.GetString());
                break;
            case "boolValue":
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw new OtlpFormatException($"{where}.boolValue is not a boolean.");
                }

                w.WriteBooleanValue(value.GetBoolean());
                break;
            case "intValue":
                w.WriteNumberValue(long.Parse(Int64Text(value, where + ".intValue"), CultureInfo.InvariantCulture));
                break;
            case "doubleValue":
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d) || !double.IsFinite(d))
                {
                    throw new OtlpFormatException($"{where}.doubleValue is not a finite number.");
                }

                w.WriteNumberValue(d);
                break;
            case "bytesValue":
                Expect(value, JsonValueKind.String, where);
                if (!value.TryGetBytesFromBase64(out _))
                {
                    throw new OtlpFormatException($"{where}.bytesValue is not base64.");
                }

                w.WriteStringValue(value.GetString());
                break;
            case "arrayValue":
                Expect(value, JsonValueKind.Object, where + ".arrayValue");
                w.WriteStartArray();
                if (value.TryGetProperty("values", out var items))
                {
                    Expect(items, JsonValueKind.Array, where + ".arrayValue.values");
                    var i = 0;
                    foreach (var item in items.EnumerateArray())
                    {
                        WritePlain(w, item, $"{where}[{i++}]");
                    }
                }

                w.WriteEndArray();
                break;
            case "kvlistValue":
                Expect(value, JsonValueKind.Object, where + ".kvlistValue");
                var entries = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                ReadKeyValues(value, entries, where + ".kvlistValue.values");
                w.WriteStartObject();
                foreach (var (key, entry) in entries)
                {
                    w.WritePropertyName(key);
                    WritePlain(w, entry, where + "." + key);
                }

                w.WriteEndObject();
                break;
            default:
                throw new OtlpFormatException($"{where} has unknown value field '{p.Name}'.");
        }
    }

    private static void ReadAttributes(JsonElement owner, Dictionary<string, JsonElement> into, string where)
    {
        if (owner.TryGetProperty("attributes", out _))
        {
            ReadKeyValues(owner, into, where, "attributes");
        }
    }

    private static void ReadKeyValues(JsonElement owner, Dictionary<string, JsonElement> into, string where, string arrayName = "values")
    {
        if (!owner.TryGetProperty(arrayName, out var array))
        {
            return;
        }

        Expect(array, JsonValueKind.Array, where);
        foreach (var keyValue in array.EnumerateArray())
        {
            Expect(keyValue, JsonValueKind.Object, where + "[]");
            var key = OptionalString(keyValue, "key");
            if (string.IsNullOrEmpty(key))
            {
                throw new OtlpFormatException($"{where} has an entry without a key.");
            }

            var value = keyValue.TryGetProperty("value", out var v) ? v : default;
            if (value.ValueKind == JsonValueKind.Undefined)
            {
                using var empty = JsonDocument.Parse("{}");
                value = empty.RootElement.Clone();
            }

            if (!into.TryAdd(key, value))
            {
                throw new OtlpFormatException($"{where} repeats key '{key}'.");
            }
        }
    }

    private static int SeverityNumber(JsonElement record, string where)
    {
        if (!record.TryGetProperty("severityNumber", out var severity))
        {
            return 0;
        }

        if (severity.ValueKind == JsonValueKind.Number && severity.TryGetInt32(out var number) && number is >= 0 and <= 24)
        {
            return number;
        }

        // Protobuf JSON also allows enum names, e.g. SEVERITY_NUMBER_INFO2.
        if (severity.ValueKind == JsonValueKind.String && severity.GetString() is { } text && text.StartsWith("SEVERITY_NUMBER_", StringComparison.Ordinal))
        {
            string[] names = ["UNSPECIFIED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];
            var suffix = text["SEVERITY_NUMBER_".Length..];
            var level = suffix.TrimEnd('2', '3', '4');
            var step = suffix.Length > level.Length ? suffix[^1] - '1' : 0;
            var index = Array.IndexOf(names, level);
            if (index == 0 && step == 0)
            {
                return 0;
            }

            if (index > 0 && suffix.Length - level.Length <= 1)
            {
                return ((index - 1) * 4) + 1 + step;
            }
        }

        throw new OtlpFormatException($"{where}.severityNumber is not a valid severity.");
    }

    private static string? W3CId(JsonElement record, string name, int length, string where)
    {
        var value = OptionalString(record, name);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        var lower = value.ToLowerInvariant();
        if (lower.Length != length || !lower.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            throw new OtlpFormatException($"{where}.{name} is not {length} hex digits.");
        }

        return lower.All(c => c == '0') ? null : lower;
    }

    private static string Int64Text(JsonElement value, string where)
    {
        // OTLP JSON writes 64-bit integers as strings, but protobuf JSON parsers accept numbers too.
        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed.ToString(CultureInfo.InvariantCulture);
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number))
        {
            return number.ToString(CultureInfo.InvariantCulture);
        }

        throw new OtlpFormatException($"{where} is not a 64-bit integer.");
    }

    private static string NormalizeAction(string eventName)
    {
        var chars = eventName.ToLowerInvariant().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterLower(chars[i]) || char.IsAsciiDigit(chars[i]) || chars[i] is '_' or '-' or '.'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }

    private static string? StringAttribute(Dictionary<string, JsonElement> attributes, string key) =>
        attributes.TryGetValue(key, out var value)
        && value.ValueKind == JsonValueKind.Object
        && value.TryGetProperty("stringValue", out var s)
        && s.ValueKind == JsonValueKind.String
        && s.GetString() is { Length: > 0 } text
            ? text
            : null;

    private static string? OptionalString(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Expect(value, JsonValueKind.String, name);
        return value.GetString();
    }

    private static void Expect(JsonElement element, JsonValueKind kind, string where)
    {
        if (element.ValueKind != kind)
        {
            throw new OtlpFormatException($"{where} must be a JSON {kind.ToString().ToLowerInvariant()}.");
        }
    }

    private sealed class OtlpFormatException(string message) : Exception(message);
}
