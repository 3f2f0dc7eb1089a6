using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
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

    // The same two sets as UTF-8, for the walk over a parsed request, which compares names without making strings.
    private static readonly byte[][] SkippedKeyNames = [.. SkippedKeys.Select(System.Text.Encoding.UTF8.GetBytes)];
    private static readonly byte[][] SkippedPartTypeNames = [.. SkippedPartTypes.Select(System.Text.Encoding.UTF8.GetBytes)];

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
        if (!redact)
        {
            return Inspect(format, JsonSerializer.SerializeToElement(body));
        }

        var findings = new FindingSet();
        var path = new Path();
        foreach (var root in Roots(format))
        {
            if (body[root] is { } node)
            {
                path.Push(root);
                Walk(node, path, findings, body, root, 0);
                path.Pop();
            }
        }

        return findings.ToList();
    }

    /// <summary>
    /// As <see cref="Inspect(WireFormat, JsonObject, bool)"/> without redacting, over the parsed request as it is: no
    /// tree of nodes is built, which is what the gateway needs for keys that only monitor or block.
    /// </summary>
    public IReadOnlyList<InspectionFinding> Inspect(WireFormat format, JsonElement body)
    {
        var findings = new FindingSet();
        if (body.ValueKind != JsonValueKind.Object)
        {
            return findings.ToList();
        }

        var path = new Path();
        foreach (var root in Roots(format))
        {
            if (body.TryGetProperty(root, out var element))
            {
                path.Push(root);
                Walk(element, path, findings);
                path.Pop();
            }
        }

        return findings.ToList();
    }

    /// <summary>Where the user-supplied text of a request in <paramref name="format"/> is.</summary>
    private static string[] Roots(WireFormat format) => format switch
    {
        WireFormat.OpenAIChat => ["messages"],
        WireFormat.AnthropicMessages => ["system", "messages"],
        WireFormat.OpenAIResponses => ["instructions", "input"],
        _ => ["input"],
    };

    /// <summary>Scans one text; returns it with matches replaced (the same instance when nothing matched).</summary>
    internal string Scan(string text, string location, FindingSet findings) => Scan(text, null, location, findings);

    // The location's text is made only when there is a finding to name it in: most texts have none.
    private string Scan(string text, Path? path, string? location, FindingSet findings)
    {
        var result = _redactor.Redact(text);
        if (!ReferenceEquals(result, text))
        {
            location ??= path!.ToString();
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

            location ??= path!.ToString();
            findings.Add(kind, location, 1);
            return AuditRedactor.Marker(kind);
        });
    }

    /// <summary>Walks one element (reading only).</summary>
    private void Walk(JsonElement element, Path path, FindingSet findings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String && EqualsAny(type, SkippedPartTypeNames))
                {
                    return;
                }

                // Names are compared as they are in the request and kept as properties: a string of one is made only
                // to name the place of a finding.
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind != JsonValueKind.Null && !NameEqualsAny(property, SkippedKeyNames))
                    {
                        path.Push(property);
                        Walk(property.Value, path, findings);
                        path.Pop();
                    }
                }

                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                {
                    path.Push(i++);
                    Walk(item, path, findings);
                    path.Pop();
                }

                break;
            case JsonValueKind.String:
                if (MayFind(element))
                {
                    Scan(element.GetString()!, path, null, findings);
                }

                break;
            default:
                break;
        }
    }

    /// <summary>
    /// False when <see cref="Scan(string, Path, string, FindingSet)"/> would find nothing in the string
    /// <paramref name="element"/>. Most texts of a request hold no secret and no personal data, and a long
    /// conversation is inspected again at every call, so the text is unescaped into a rented buffer and checked
    /// there; a string of it is made only when it might hold something.
    /// </summary>
    private bool MayFind(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        char[]? rented = null;
        // Unescaped, a JSON string has at most as many UTF-16 chars as its raw form has bytes.
        Span<char> buffer = raw.Length <= 512 ? stackalloc char[512] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            var reader = new Utf8JsonReader(raw);
            reader.Read();
            var text = buffer[..reader.CopyString(buffer)];
            return _redactor.MayRedact(text) || (MayContainPii(text) && PiiPatterns.Pii().IsMatch(text));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static bool EqualsAny(JsonElement value, byte[][] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (value.ValueEquals(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static bool NameEqualsAny(JsonProperty property, byte[][] candidates)
    {
        foreach (var candidate in candidates)
        {
            if (property.NameEquals(candidate))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Walks one node, redacting; <paramref name="parent"/> with <paramref name="key"/> (an object) or <paramref name="index"/> (an array) is where it sits, for replacing it.</summary>
    private void Walk(JsonNode node, Path path, FindingSet findings, JsonNode parent, string? key, int index)
    {
        switch (node)
        {
            case JsonObject obj:
                if (obj["type"] is JsonValue typeValue && typeValue.TryGetValue<string>(out var type) && SkippedPartTypes.Contains(type))
                {
                    return;
                }

                List<string>? keys = null;
                foreach (var (name, value) in obj)
                {
                    if (value is not null && !SkippedKeys.Contains(name))
                    {
                        (keys ??= []).Add(name);
                    }
                }

                foreach (var name in keys ?? [])
                {
                    path.Push(name);
                    Walk(obj[name]!, path, findings, obj, name, 0);
                    path.Pop();
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        path.Push(i);
                        Walk(item, path, findings, array, null, i);
                        path.Pop();
                    }
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var scanned = Scan(text, path, null, findings);
                if (!ReferenceEquals(scanned, text))
                {
                    var replacement = JsonValue.Create(scanned);
                    if (parent is JsonArray list)
                    {
                        list[index] = replacement;
                    }
                    else
                    {
                        parent.AsObject()[key!] = replacement;
                    }
                }

                break;
            default:
                break;
        }
    }

    /// <summary>Where the walk is (<c>messages[0].content</c>), kept as parts and written out only for a finding.</summary>
    private sealed class Path
    {
        private readonly List<(string? Key, JsonProperty? Property, int Index)> _parts = new(8);

        public void Push(string key) => _parts.Add((key, null, 0));

        public void Push(JsonProperty property) => _parts.Add((null, property, 0));

        public void Push(int index) => _parts.Add((null, null, index));

        public void Pop() => _parts.RemoveAt(_parts.Count - 1);

        public override string ToString()
        {
            var text = new System.Text.StringBuilder();
            foreach (var (name, property, index) in _parts)
            {
                var key = name ?? property?.Name;
                if (key is null)
                {
                    text.Append('[').Append(index.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
                }
                else
                {
                    if (text.Length > 0)
                    {
                        text.Append('.');
                    }

                    text.Append(key);
                }
            }

            return text.ToString();
        }
    }

    // Every PII shape needs a digit or an '@'.
    private static bool MayContainPii(ReadOnlySpan<char> text) => text.IndexOfAnyInRange('0', '9') >= 0 || text.Contains('@');

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
