using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Warden.Audit.Redaction;

/// <summary>
/// Removes secrets from drafts before anything is hashed or stored. Replaces each secret with
/// <c>[REDACTED:kind]</c>. Rules: built-in token shapes (OpenAI <c>sk-</c>, Anthropic <c>sk-ant-</c>, GitHub
/// <c>ghp_</c>/<c>github_pat_</c>, Slack <c>xox?-</c>, AWS <c>AKIA</c>/<c>ASIA</c>, JWTs, <c>Bearer</c> credentials,
/// Warden <c>wdn_</c> tokens, PEM private keys, passwords in URLs), configured extra patterns, and the whole value
/// of any details key that names a secret (<c>password</c>, <c>client_secret</c>, <c>access_token</c>,
/// <c>api_key</c>, <c>Authorization</c>, <c>x-api-key</c>, <c>cookie</c>, ...; but not <c>input_tokens</c>).
/// Thread-safe.
/// </summary>
public sealed class AuditRedactor
{
    private static readonly HashSet<string> SensitiveLastWords = new(StringComparer.Ordinal)
    {
        "password", "passwd", "pwd", "passphrase", "passcode", "secret", "token", "authorization",
        "cookie", "credential", "credentials", "apikey", "privatekey", "jwt", "bearer",
    };

    private static readonly HashSet<string> SensitiveLastPairs = new(StringComparer.Ordinal)
    {
        "api key", "private key", "access key", "secret key", "session key", "signing key", "encryption key", "auth key",
    };

    private const int MaxCachedKeys = 4096;

    private readonly (string Kind, Regex Regex, string Marker)[] _extra;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _keyCache = new(StringComparer.Ordinal);
    private readonly HashSet<string> _extraKeys;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _extraKeysLookup;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> _keyCacheLookup;

    /// <summary>A redactor with the built-in rules plus <paramref name="options"/>.</summary>
    public AuditRedactor(RedactionOptions? options = null)
    {
        options ??= new RedactionOptions();
        _extra = options.ExtraPatterns
            .Select(p => (p.Kind, new Regex(p.Pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, options.PatternTimeout), Marker(p.Kind)))
            .ToArray();
        _extraKeys = new HashSet<string>(options.ExtraSensitiveKeys, StringComparer.OrdinalIgnoreCase);
        _extraKeysLookup = _extraKeys.GetAlternateLookup<ReadOnlySpan<char>>();
        _keyCacheLookup = _keyCache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The marker that replaces a secret of <paramref name="kind"/>.</summary>
    public static string Marker(string kind) => $"[REDACTED:{kind}]";

    /// <summary>Returns <paramref name="value"/> with secrets replaced; the same instance when nothing matched.</summary>
    public string Redact(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        var result = value;
        if (value.Length >= 8 && ContainsTrigger(value))
        {
            result = BuiltInPatterns.Secrets().Replace(value, ReplaceBuiltIn);
        }

        // The markers are made once: this runs for every string of every audit event and prompt.
        foreach (var (_, regex, marker) in _extra)
        {
            result = regex.Replace(result, marker);
        }

        return string.Equals(result, value, StringComparison.Ordinal) ? value : result;
    }

    /// <summary>
    /// False when <see cref="Redact(string)"/> would return <paramref name="value"/> unchanged: no built-in shape's
    /// trigger and no match of an extra pattern. True means it might change it. Allocates nothing, for callers that
    /// look at many texts without strings of them.
    /// </summary>
    public bool MayRedact(ReadOnlySpan<char> value)
    {
        if (value.Length >= 8 && value.ContainsAny(BuiltInPatterns.Triggers))
        {
            return true;
        }

        foreach (var (_, regex, _) in _extra)
        {
            if (regex.IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when values under a details key of this name are always redacted.</summary>
    public bool IsSensitiveKey(string key, out string kind)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_extraKeys.Contains(key))
        {
            kind = "secret";
            return true;
        }

        // Detail keys repeat endlessly (gen_ai.usage.input_tokens, ...): remember the verdict. "" means not sensitive.
        if (_keyCache.TryGetValue(key, out var cached))
        {
            kind = cached;
            return cached.Length > 0;
        }

        var sensitive = IsSensitiveKeyName(key, out kind);
        if (_keyCache.Count < MaxCachedKeys)
        {
            _keyCache.TryAdd(key, sensitive ? kind : "");
        }

        return sensitive;
    }

    /// <summary>As <see cref="IsSensitiveKey(string, out string)"/> for a property's name, without making a string of it when the verdict is cached.</summary>
    private bool IsSensitiveKey(JsonProperty property)
    {
        var utf8 = JsonMarshal.GetRawUtf8PropertyName(property);
        Span<char> chars = stackalloc char[128];
        if (utf8.Length <= chars.Length && utf8.IndexOf((byte)'\\') < 0 && Ascii.IsValid(utf8))
        {
            // Plain ASCII names (all of Warden's own) are looked up as they lie in the document.
            var name = chars[..utf8.Length];
            Ascii.ToUtf16(utf8, name, out _);
            if (_extraKeysLookup.Contains(name))
            {
                return true;
            }

            if (_keyCacheLookup.TryGetValue(name, out var cached))
            {
                return cached.Length > 0;
            }
        }

        return IsSensitiveKey(property.Name, out _);
    }

    /// <summary>Redacts string values (recursively) and the values of sensitive keys; returns the input when clean.</summary>
    public JsonElement Redact(JsonElement details)
    {
        if (!NeedsRedaction(details))
        {
            return details;
        }

        var output = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(output))
        {
            WriteRedacted(details, writer);
        }

        using var document = JsonDocument.Parse(output.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Applies redaction to every free-text field of a draft (everything except org, action, enums and W3C ids).</summary>
    public AuditEventDraft Redact(AuditEventDraft draft)
    {
        ArgumentNullException.ThrowIfNull(draft);

        // Allocate new records only when something changed: the common case is a clean draft.
        var actorId = Redact(draft.Actor.Id);
        var display = RedactOptional(draft.Actor.Display);
        var actor = ReferenceEquals(actorId, draft.Actor.Id) && ReferenceEquals(display, draft.Actor.Display)
            ? draft.Actor
            : draft.Actor with { Id = actorId, Display = display };
        var vendor = Redact(draft.Source.Vendor);
        var product = Redact(draft.Source.Product);
        var session = RedactOptional(draft.Source.SessionId);
        var external = RedactOptional(draft.Source.ExternalEventId);
        var source = ReferenceEquals(vendor, draft.Source.Vendor) && ReferenceEquals(product, draft.Source.Product)
            && ReferenceEquals(session, draft.Source.SessionId) && ReferenceEquals(external, draft.Source.ExternalEventId)
            ? draft.Source
            : draft.Source with { Vendor = vendor, Product = product, SessionId = session, ExternalEventId = external };
        var onBehalfOf = RedactOptional(draft.OnBehalfOf);
        var resource = draft.Resource is null ? null : RedactResource(draft.Resource);
        var detailsChanged = draft.Details is { } d && NeedsRedaction(d);
        var details = detailsChanged ? Redact(draft.Details!.Value) : draft.Details;
        if (ReferenceEquals(actor, draft.Actor) && ReferenceEquals(source, draft.Source) && ReferenceEquals(onBehalfOf, draft.OnBehalfOf)
            && ReferenceEquals(resource, draft.Resource) && !detailsChanged)
        {
            return draft;
        }

        return draft with { Actor = actor, Source = source, OnBehalfOf = onBehalfOf, Resource = resource, Details = details };
    }

    private string? RedactOptional(string? value) => value is null ? null : Redact(value);

    private AuditResource RedactResource(AuditResource resource)
    {
        var type = Redact(resource.Type);
        var id = Redact(resource.Id);
        return ReferenceEquals(type, resource.Type) && ReferenceEquals(id, resource.Id) ? resource : new AuditResource(type, id);
    }

    /// <summary>
    /// True when <see cref="WriteRedacted"/> would change <paramref name="element"/>. Clean details are the common
    /// case, and proving them clean string by string decodes every name and value; <see cref="IsCleanRaw"/> proves
    /// it from the raw UTF-8 in one pass for most of them, and anything it cannot clear takes the full check.
    /// </summary>
    private bool NeedsRedaction(JsonElement element) =>
        !(element.ValueKind is JsonValueKind.Object or JsonValueKind.Array && IsCleanRaw(JsonMarshal.GetRawUtf8Value(element)))
        && NeedsRedactionByValue(element);

    // Details up to this many bytes are pre-scanned on the stack; larger ones in a pooled buffer.
    private const int StackScan = 512;

    // Longest property name the pre-scan looks up in the key cache; longer names take the full check.
    private const int MaxScannedKey = 128;

    /// <summary>
    /// Proves from the raw UTF-8 of a details value, without decoding it into strings, that redaction leaves it as
    /// it is; false means "not proven", never "has a secret". Only with no configured extra patterns or keys (those
    /// can match anything) and no backslash (an escape could spell a trigger or a key differently): then every
    /// string's text is its raw bytes, so no built-in trigger in the raw text means no string triggers the built-in
    /// patterns (a trigger across JSON punctuation only sends the value to the full check), and every property name
    /// must be one the key cache already knows is not sensitive.
    /// </summary>
    private bool IsCleanRaw(ReadOnlySpan<byte> raw)
    {
        if (_extra.Length > 0 || _extraKeys.Count > 0 || raw.Contains((byte)'\\'))
        {
            return false;
        }

        char[]? rented = null;
        var chars = raw.Length <= StackScan ? stackalloc char[StackScan] : (rented = ArrayPool<char>.Shared.Rent(raw.Length));
        try
        {
            var count = System.Text.Encoding.UTF8.GetChars(raw, chars);
            if (chars[..count].ContainsAny(BuiltInPatterns.Triggers))
            {
                return false;
            }

            Span<char> name = stackalloc char[MaxScannedKey];
            var reader = new Utf8JsonReader(raw, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                // No backslash anywhere, so the name is its raw bytes (and at most one char per byte).
                var bytes = reader.ValueSpan;
                if (bytes.Length > MaxScannedKey)
                {
                    return false;
                }

                var length = System.Text.Encoding.UTF8.GetChars(bytes, name);
                if (!_keyCacheLookup.TryGetValue(name[..length], out var kind) || kind.Length > 0)
                {
                    // Unknown (the full check will classify and cache it) or sensitive.
                    return false;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            // The element was parsed with options this reader lacks: not proven, take the full check.
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private bool NeedsRedactionByValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (IsSensitiveKey(property) && !IsAlreadyRedacted(property.Value))
                    {
                        return true;
                    }

                    if (NeedsRedactionByValue(property.Value))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (NeedsRedactionByValue(item))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.String:
                return StringNeedsRedaction(element);
            default:
                return false;
        }
    }

    /// <summary>
    /// Whether <see cref="Redact(string)"/> would change this string. Plain ASCII values (nearly all details) are
    /// checked where they lie in the document, without making a string of each.
    /// </summary>
    private bool StringNeedsRedaction(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (raw.Length >= 2 && raw[0] == (byte)'"')
        {
            raw = raw[1..^1];
        }

        Span<char> chars = stackalloc char[256];
        if (raw.Length <= chars.Length && raw.IndexOf((byte)'\\') < 0 && Ascii.IsValid(raw))
        {
            var text = chars[..raw.Length];
            Ascii.ToUtf16(raw, text, out _);
            if (text.Length >= 8 && text.ContainsAny(BuiltInPatterns.Triggers) && BuiltInPatterns.Secrets().IsMatch(text))
            {
                return true;
            }

            foreach (var (_, regex, _) in _extra)
            {
                if (regex.IsMatch(text))
                {
                    return true;
                }
            }

            return false;
        }

        var value = element.GetString()!;
        return !ReferenceEquals(Redact(value), value);
    }

    private void WriteRedacted(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject())
                {
                    writer.WritePropertyName(property.Name);
                    if (IsSensitiveKey(property.Name, out var kind) && !IsAlreadyRedacted(property.Value))
                    {
                        writer.WriteStringValue(Marker(kind));
                    }
                    else
                    {
                        WriteRedacted(property.Value, writer);
                    }
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteRedacted(item, writer);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(Redact(element.GetString()!));
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    // Null, empty and marker values under a sensitive key carry no secret; leaving them keeps redaction idempotent.
    private static bool IsAlreadyRedacted(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null
        || (value.ValueKind == JsonValueKind.String && value.GetString() is { } s && (s.Length == 0 || (s.StartsWith("[REDACTED:", StringComparison.Ordinal) && s.EndsWith(']'))));

    private static bool ContainsTrigger(string value) => value.AsSpan().ContainsAny(BuiltInPatterns.Triggers);

    private static string ReplaceBuiltIn(Match match)
    {
        // These two keep the non-secret part of the match so the text stays readable.
        if (match.Groups["bearer_token"].Success)
        {
            var text = match.Value;
            var space = text.IndexOfAny([' ', '\t', '\r', '\n']);
            return text[..space] + " " + Marker("bearer_token");
        }

        if (match.Groups["url_password"].Success)
        {
            var text = match.Value;
            return text[..(text.IndexOf(':', 3) + 1)] + Marker("url_password") + "@";
        }

        foreach (var kind in BuiltInPatterns.Kinds)
        {
            if (match.Groups[kind].Success)
            {
                return Marker(kind);
            }
        }

        return Marker("secret");
    }

    /// <summary>Splits a key into lowercase words (on separators and camelCase humps) and checks its tail.</summary>
    internal static bool IsSensitiveKeyName(string key, out string kind)
    {
        Span<Range> words = stackalloc Range[16];
        var count = 0;
        var start = -1;
        for (var i = 0; i <= key.Length && count < words.Length; i++)
        {
            var c = i < key.Length ? key[i] : ' ';
            var boundary = !char.IsAsciiLetterOrDigit(c)
                || (start >= 0 && char.IsAsciiLetterUpper(c) && char.IsAsciiLetterLower(key[i - 1]));
            if (boundary && start >= 0)
            {
                words[count++] = start..i;
                start = -1;
            }

            if (char.IsAsciiLetterOrDigit(c) && start < 0)
            {
                start = i;
            }
        }

        kind = "";
        if (count == 0)
        {
            return false;
        }

        var last = key[words[count - 1]].ToLowerInvariant();
        if (SensitiveLastWords.Contains(last))
        {
            kind = last;
            return true;
        }

        if (count >= 2)
        {
            var pair = key[words[count - 2]].ToLowerInvariant() + " " + last;
            if (SensitiveLastPairs.Contains(pair))
            {
                kind = pair.Replace(' ', '_');
                return true;
            }
        }

        return false;
    }
}
