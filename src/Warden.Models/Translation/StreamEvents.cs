using System.Text.Json;

namespace Warden.Models.Translation;

/// <summary>Helpers shared by the stream translators.</summary>
internal static class StreamEvents
{
    public const string Done = "[DONE]";

    /// <summary>The message used when an upstream stream ends before its closing events.</summary>
    public const string TruncatedMessage = "The model provider's stream ended before the response was complete.";

    /// <summary>Parses an event's data; null for data that is not a JSON object (keep-alives, <c>[DONE]</c>).</summary>
    public static JsonDocument? Parse(string data)
    {
        if (data.Length == 0 || data[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(data);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The event's type: its SSE name, or else the data's <c>type</c> field.</summary>
    public static string? Type(in SseEvent e, JsonElement root) =>
        e.Event ?? (root.ValueKind == JsonValueKind.Object ? GetString(root, "type") : null);

    public static string? GetString(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static long? GetLong(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt64(out var result)
            ? result
            : null;

    public static JsonElement Get(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}
