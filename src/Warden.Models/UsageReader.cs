using System.Text.Json;
using System.Text.Json.Nodes;
using Warden.Models.Translation;

namespace Warden.Models;

/// <summary>Reads token usage from non-streaming response bodies.</summary>
public static class UsageReader
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>
    /// The usage a response body's UTF-8 JSON in <paramref name="format"/> reports (null when it reports none), read
    /// without building a <see cref="JsonNode"/> tree: true when <paramref name="utf8"/> is one JSON object with no
    /// repeated property names and the usage fields have the shapes <see cref="FromResponse"/> reads, in which case
    /// <paramref name="usage"/> is what <see cref="FromResponse"/> would return for the parsed body. False otherwise
    /// (not JSON, not an object, a repeated name, an odd shape): parse the body and use <see cref="FromResponse"/>,
    /// which decides those cases.
    /// </summary>
    public static bool TryFromResponse(WireFormat format, ReadOnlyMemory<byte> utf8, out TokenUsage? usage)
    {
        usage = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8, Strict);
        }
        catch (JsonException)
        {
            return false;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (!root.TryGetProperty("usage"u8, out var u) || u.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            switch (format)
            {
                case WireFormat.OpenAIChat:
                case WireFormat.OpenAIEmbeddings:
                    if (!TryNested(u, "prompt_tokens_details"u8, "cached_tokens"u8, out var chatCached))
                    {
                        return false;
                    }

                    usage = new TokenUsage(Long(u, "prompt_tokens"u8) ?? 0, Long(u, "completion_tokens"u8) ?? 0, chatCached ?? 0);
                    return true;
                case WireFormat.OpenAIResponses:
                    if (!TryNested(u, "input_tokens_details"u8, "cached_tokens"u8, out var responsesCached))
                    {
                        return false;
                    }

                    usage = new TokenUsage(Long(u, "input_tokens"u8) ?? 0, Long(u, "output_tokens"u8) ?? 0, responsesCached ?? 0);
                    return true;
                case WireFormat.AnthropicMessages:
                    var read = Long(u, "cache_read_input_tokens"u8) ?? 0;
                    var write = Long(u, "cache_creation_input_tokens"u8) ?? 0;
                    usage = new TokenUsage((Long(u, "input_tokens"u8) ?? 0) + read + write, Long(u, "output_tokens"u8) ?? 0, read, write);
                    return true;
                default:
                    return true;
            }
        }
    }

    /// <summary>The usage a response body in <paramref name="format"/> reports, or null when it reports none.</summary>
    public static TokenUsage? FromResponse(WireFormat format, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (body["usage"] is not JsonObject usage)
        {
            return null;
        }

        switch (format)
        {
            case WireFormat.OpenAIChat:
            case WireFormat.OpenAIEmbeddings:
                return new TokenUsage(
                    JsonRead.Long(usage["prompt_tokens"]) ?? 0,
                    JsonRead.Long(usage["completion_tokens"]) ?? 0,
                    JsonRead.Long(usage["prompt_tokens_details"]?["cached_tokens"]) ?? 0);
            case WireFormat.OpenAIResponses:
                return new TokenUsage(
                    JsonRead.Long(usage["input_tokens"]) ?? 0,
                    JsonRead.Long(usage["output_tokens"]) ?? 0,
                    JsonRead.Long(usage["input_tokens_details"]?["cached_tokens"]) ?? 0);
            case WireFormat.AnthropicMessages:
                var read = JsonRead.Long(usage["cache_read_input_tokens"]) ?? 0;
                var write = JsonRead.Long(usage["cache_creation_input_tokens"]) ?? 0;
                return new TokenUsage(
                    (JsonRead.Long(usage["input_tokens"]) ?? 0) + read + write,
                    JsonRead.Long(usage["output_tokens"]) ?? 0,
                    read,
                    write);
            default:
                return null;
        }
    }

    // As JsonRead.Long over the same value: an integer, or a number read as a double and truncated; else null.
    private static long? Long(JsonElement obj, ReadOnlySpan<byte> name)
    {
        if (obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number)
        {
            if (value.TryGetInt64(out var l))
            {
                return l;
            }

            if (value.TryGetDouble(out var d))
            {
                return (long)d;
            }
        }

        return null;
    }

    // usage[outer]?[inner]: false when usage[outer] is neither missing, null nor an object (the JsonNode indexer
    // throws there, and the caller's fallback to FromResponse keeps that).
    private static bool TryNested(JsonElement usage, ReadOnlySpan<byte> outer, ReadOnlySpan<byte> inner, out long? value)
    {
        value = null;
        if (!usage.TryGetProperty(outer, out var nested) || nested.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (nested.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        value = Long(nested, inner);
        return true;
    }
}
