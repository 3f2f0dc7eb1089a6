using System.Text.Json;
using System.Text.Json.Nodes;

namespace Warden.Models.Translation;

/// <summary>Lenient typed reads from <see cref="JsonNode"/>s: a missing or wrongly typed value is null, never an exception.</summary>
internal static class JsonRead
{
    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static long? Long(JsonNode? node)
    {
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number)
        {
            if (value.TryGetValue<long>(out var l))
            {
                return l;
            }

            if (value.TryGetValue<double>(out var d))
            {
                return (long)d;
            }
        }

        return null;
    }

    public static bool? Bool(JsonNode? node) => node?.GetValueKind() switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    public static JsonObject? Object(JsonNode? node) => node as JsonObject;

    public static JsonArray? Array(JsonNode? node) => node as JsonArray;

    /// <summary>A copy that can be attached to another parent (nodes have one parent).</summary>
    public static JsonNode? Clone(JsonNode? node) => node?.DeepClone();

    /// <summary>Copies <paramref name="name"/> from <paramref name="source"/> to <paramref name="target"/> (as <paramref name="targetName"/>) when present and not null.</summary>
    public static void CopyIfPresent(JsonObject source, JsonObject target, string name, string? targetName = null)
    {
        if (source[name] is { } value)
        {
            target[targetName ?? name] = value.DeepClone();
        }
    }

    /// <summary>The concatenated text of a content value: a string, or an array of parts with <c>text</c> fields.</summary>
    public static string? Text(JsonNode? content, string separator = "")
    {
        if (String(content) is { } s)
        {
            return s;
        }

        if (content is not JsonArray parts)
        {
            return null;
        }

        string? result = null;
        foreach (var part in parts)
        {
            if (String(part?["text"]) is { } text)
            {
                result = result is null ? text : result + separator + text;
            }
        }

        return result;
    }
}
