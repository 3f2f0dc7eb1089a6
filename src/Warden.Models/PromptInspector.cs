using System.Text.Json.Nodes;
using Warden.Audit.Redaction;
using Warden.Models.Inspection;

namespace Warden.Models;

/// <summary>
/// Finds secrets and personal data in the user-supplied text of a model request. Secrets: the audit redactor's
/// token shapes (OpenAI, Anthropic, AWS, GitHub, Slack, JWT, Warden <c>wdn_</c>, PEM private keys, bearer
/// credentials, passwords in URLs) plus Google <c>AIza</c> keys, Warden <c>wik_</c> ingestion keys and any extra
/// patterns. Personal data: email addresses, US social security numbers, payment card numbers (Luhn-checked),
/// IBANs (mod-97-checked) and E.164 phone numbers. Findings name the kind and place, never the text. Thread-safe.
/// </summary>
public sealed class PromptInspector
{
    private const string MarkerStart = "[REDACTED:";

    // Keys whose values are identifiers, enums or binary data rather than prompt text.
    private static readonly HashSet<string> SkippedKeys = new(StringComparer.Ordinal)
    {
        "type", "role", "id", "call_id", "tool_call_id", "tool_use_id", "name", "model", "status", "cache_control",
        "signature", "encrypted_content", "media_type", "detail",
    };

    // Parts that carry images, audio or files, not text.
    private static readonly HashSet<string> SkippedPartTypes = new(StringComparer.Ordinal)
    {
        "image", "image_url", "input_image", "input_audio", "input_file", "file", "document", "redacted_thinking",
    };

    private readonly AuditRedactor _redactor;

    /// <summary>An inspector with the built-in detectors and <paramref name="extraPatterns"/> (each match becomes a finding of its kind).</summary>
    public PromptInspector(IEnumerable<RedactionPattern>? extraPatterns = null)
    {
        RedactionPattern[] builtIn =
        [
            new("google_api_key", @"\bAIza[0-9A-Za-z_\-]{35}"),
            new("warden_ingest_key", @"\bwik_[A-Za-z0-9]{16,}"),
        ];
        _redactor = new AuditRedactor(new RedactionOptions { ExtraPatterns = [.. builtIn, .. extraPatterns ?? []] });
    }

    /// <summary>
    /// Scans every user-supplied text of <paramref name="body"/> (a request in <paramref name="format"/>): messages
    /// and their content parts, system prompts, instructions, input items, tool calls and tool results. When
    /// <paramref name="redact"/> is true each match is replaced in place with <c>[REDACTED:kind]</c> (a password in a
    /// URL keeps its scheme and user; a bearer credential keeps the word <c>Bearer</c>). Returns one finding per
    /// kind and location, in the order found.
    /// </summary>
    public IReadOnlyList<InspectionFinding> Inspect(WireFormat format, JsonObject body, bool redact)
    {
        ArgumentNullException.ThrowIfNull(body);
        var findings = new FindingSet();
        string[] roots = format switch
        {
            WireFormat.OpenAIChat => ["messages"],
            WireFormat.AnthropicMessages => ["system", "messages"],
            WireFormat.OpenAIResponses => ["instructions", "input"],
            _ => ["input"],
        };

        foreach (var root in roots)
        {
            if (body[root] is { } node)
            {
                Walk(node, root, findings, redact, replacement => body[root] = replacement);
            }
        }

        return findings.ToList();
    }

    /// <summary>Scans one text; returns it with matches replaced (the same instance when nothing matched).</summary>
    internal string Scan(string text, string location, FindingSet findings)
    {
        var result = _redactor.Redact(text);
        if (!ReferenceEquals(result, text))
        {
            CountMarkers(result, text, location, findings);
        }

        if (!MayContainPii(result))
        {
            return result;
        }

        return PiiPatterns.Pii().Replace(result, match =>
        {
            if (PiiPatterns.KindOf(match) is not { } kind)
            {
                return match.Value;
            }

            findings.Add(kind, location, 1);
            return AuditRedactor.Marker(kind);
        });
    }

    private void Walk(JsonNode node, string path, FindingSet findings, bool redact, Action<JsonNode> replace)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["type"] is JsonValue typeValue && typeValue.TryGetValue<string>(out var type) && SkippedPartTypes.Contains(type))
                {
                    return;
                }

                List<string>? keys = null;
                foreach (var (key, value) in obj)
                {
                    if (value is not null && !SkippedKeys.Contains(key))
                    {
                        (keys ??= []).Add(key);
                    }
                }

                foreach (var key in keys ?? [])
                {
                    Walk(obj[key]!, path + "." + key, findings, redact, replacement => obj[key] = replacement);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        var index = i;
                        Walk(item, $"{path}[{i}]", findings, redact, replacement => array[index] = replacement);
                    }
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var scanned = Scan(text, path, findings);
                if (redact && !ReferenceEquals(scanned, text))
                {
                    replace(JsonValue.Create(scanned));
                }

                break;
            default:
                break;
        }
    }

    // Every PII shape needs a digit or an '@'.
    private static bool MayContainPii(string text) => text.AsSpan().IndexOfAnyInRange('0', '9') >= 0 || text.Contains('@', StringComparison.Ordinal);

    /// <summary>Counts the markers the redactor added (markers already in the original text are not findings).</summary>
    private static void CountMarkers(string redacted, string original, string location, FindingSet findings)
    {
        var before = MarkerCounts(original);
        foreach (var (kind, count) in MarkerCounts(redacted))
        {
            var added = count - before.GetValueOrDefault(kind);
            if (added > 0)
            {
                findings.Add(kind, location, added);
            }
        }
    }

    private static Dictionary<string, int> MarkerCounts(string text)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var index = 0;
        while ((index = text.IndexOf(MarkerStart, index, StringComparison.Ordinal)) >= 0)
        {
            var start = index + MarkerStart.Length;
            var end = text.IndexOf(']', start);
            if (end < 0)
            {
                break;
            }

            var kind = text[start..end];
            counts[kind] = counts.GetValueOrDefault(kind) + 1;
            index = end + 1;
        }

        return counts;
    }
}
