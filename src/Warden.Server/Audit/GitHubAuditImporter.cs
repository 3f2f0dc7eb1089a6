using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Warden.Audit;

namespace Warden.Server.Audit;

/// <summary>
/// Turns a Git-hosting audit-log export in GitHub's shape (a JSON array of objects with <c>@timestamp</c> in Unix
/// milliseconds, <c>action</c>, <c>actor</c>, <c>_document_id</c>, <c>repo</c>, <c>org</c>, ...) into audit drafts.
/// Strict and total like <c>OtlpLogsImporter</c>: a malformed file yields a reason, never an exception, and no drafts.
/// </summary>
/// <remarks>
/// Mapping: action = <c>action</c> lower-cased with characters outside <c>[a-z0-9_.-]</c> replaced by <c>_</c>;
/// actor = user <c>github:&lt;actor&gt;</c> (display the login; <c>github</c> itself when absent); resource = the
/// first of <c>repo</c>, <c>team</c>, <c>user</c>, <c>org</c>; source = vendor <c>github</c>, product
/// <c>github-audit-log</c>, external event id <c>_document_id</c>. Details hold the whole original object plus
/// <c>source_time</c> (ISO 8601 of <c>@timestamp</c>): the ledger assigns its own time, as for OTLP imports, so the
/// vendor's time is kept beside it. Events are ordered by source time (GitHub exports newest first).
/// </remarks>
public static class GitHubAuditImporter
{
    /// <summary>Most events accepted in one file.</summary>
    public const int MaxEvents = 10_000;

    private static readonly (string Field, string Type)[] ResourceFields = [("repo", "repository"), ("team", "team"), ("user", "user"), ("org", "org")];

    /// <summary>Parses <paramref name="body"/> into drafts for <paramref name="orgId"/>.</summary>
    public static VendorImportResult Parse(ReadOnlySpan<byte> body, string orgId)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            return VendorImportResult.Fail("Body is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return VendorImportResult.Fail("A GitHub audit-log export is a JSON array of events.");
            }

            if (root.GetArrayLength() > MaxEvents)
            {
                return VendorImportResult.Fail($"More than {MaxEvents} events; split the file.");
            }

            var drafts = new List<(long Time, int Index, AuditEventDraft Draft)>();
            var index = 0;
            foreach (var item in root.EnumerateArray())
            {
                var error = TryMap(item, index, orgId, out var time, out var draft);
                if (error is not null)
                {
                    return VendorImportResult.Fail(error);
                }

                drafts.Add((time, index, draft!));
                index++;
            }

            // Stable: equal times keep file order.
            return new VendorImportResult(drafts.OrderBy(d => d.Time).ThenBy(d => d.Index).Select(d => d.Draft).ToList(), null);
        }
    }

    private static string? TryMap(JsonElement item, int index, string orgId, out long time, out AuditEventDraft? draft)
    {
        var where = $"events[{index}]";
        time = 0;
        draft = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            return $"{where} is not a JSON object.";
        }

        if (!item.TryGetProperty("action", out var actionValue) || actionValue.ValueKind != JsonValueKind.String || actionValue.GetString() is not { Length: > 0 } rawAction)
        {
            return $"{where} has no 'action' string.";
        }

        var action = NormalizeAction(rawAction);
        // The ledger's rule for actions: dotted lower-case segments (the writer checks it again).
        if (action.Length > 128 || action[0] == '.' || action[^1] == '.' || action.Contains("..", StringComparison.Ordinal))
        {
            return $"{where} action '{rawAction}' cannot be used as an action.";
        }

        var hasTime = item.TryGetProperty("@timestamp", out var timeValue) || item.TryGetProperty("created_at", out timeValue);
        if (!hasTime || timeValue.ValueKind != JsonValueKind.Number || !timeValue.TryGetInt64(out time) || time < 0 || time > 253402300799999)
        {
            return $"{where} has no '@timestamp' in Unix milliseconds.";
        }

        string? documentId = null;
        if (item.TryGetProperty("_document_id", out var idValue))
        {
            if (idValue.ValueKind != JsonValueKind.String || idValue.GetString() is not { Length: > 0 and <= 200 } id)
            {
                return $"{where}._document_id must be a non-empty string.";
            }

            documentId = id;
        }

        var actor = OptionalString(item, "actor");
        AuditResource? resource = null;
        foreach (var (field, type) in ResourceFields)
        {
            if (OptionalString(item, field) is { Length: > 0 } value)
            {
                resource = new AuditResource(type, value);
                break;
            }
        }

        var sourceTime = DateTimeOffset.FromUnixTimeMilliseconds(time).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        draft = new AuditEventDraft
        {
            OrgId = orgId,
            Actor = actor is null ? new AuditActor(ActorKind.ExternalTool, "github", "GitHub") : new AuditActor(ActorKind.User, "github:" + actor, actor),
            Source = new AuditSource("github", "github-audit-log", null, documentId),
            Action = action,
            Resource = resource,
            Outcome = AuditOutcome.Success,
            Details = Details(item, sourceTime),
        };
        return null;
    }

    private static JsonElement Details(JsonElement item, string sourceTime)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in item.EnumerateObject())
            {
                // A repeated key would make the details ambiguous (and non-canonical): keep the first.
                if (seen.Add(property.Name))
                {
                    property.WriteTo(w);
                }
            }

            if (!seen.Contains("source_time"))
            {
                w.WriteString("source_time", sourceTime);
            }

            w.WriteEndObject();
        }

        using var document = JsonDocument.Parse(output.WrittenMemory);
        return document.RootElement.Clone();
    }

    private static string? OptionalString(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string NormalizeAction(string value)
    {
        var chars = value.ToLowerInvariant().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (!(char.IsAsciiLetterLower(chars[i]) || char.IsAsciiDigit(chars[i]) || chars[i] is '_' or '-' or '.'))
            {
                chars[i] = '_';
            }
        }

        return new string(chars);
    }
}
