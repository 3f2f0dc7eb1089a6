using System.Globalization;
using System.Text.Json;
using Warden.Data.Sessions;

namespace Warden.Server.Components.Shared;

/// <summary>How the session pages write money, counts, times and the pieces of transcript entries.</summary>
public static class SessionText
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Micro-dollars as dollars.</summary>
    public static string Money(long micros) => GatewayText.Money(micros / 1_000_000m);

    /// <summary>A UTC time to the second.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>A time limit in minutes (or hours past two).</summary>
    public static string Minutes(long ms)
    {
        var minutes = ms / 60_000d;
        return minutes >= 120
            ? (minutes / 60).ToString("0.#", CultureInfo.InvariantCulture) + " h"
            : minutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
    }

    /// <summary>The first line of an instruction, cut to <paramref name="max"/> characters.</summary>
    public static string FirstLine(string text, int max = 100)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }

    /// <summary>True when people can still act on the session (send, cancel, decide).</summary>
    public static bool IsLive(AgentSession session) => !SessionStates.IsFinal(session.State);

    /// <summary>A string property, or null.</summary>
    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A number property, or null.</summary>
    public static long? Num(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    /// <summary>A property of any kind, or null when missing or JSON null.</summary>
    public static JsonElement? Prop(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>The strings of an array property.</summary>
    public static IReadOnlyList<string> Strings(JsonElement e, string name) =>
        Prop(e, name) is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToList() : [];

    /// <summary>A chat message's text: a plain string, or the text parts of a list of parts.</summary>
    public static string? Content(JsonElement message) => Prop(message, "content") switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        { ValueKind: JsonValueKind.Array } parts => string.Concat(parts.EnumerateArray().Select(p => Str(p, "text"))),
        _ => null,
    };

    /// <summary>JSON text (a tool call's arguments) indented for reading; the text itself when it is not JSON.</summary>
    public static string PrettyJson(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return string.Empty;
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            return JsonSerializer.Serialize(doc.RootElement, Indented);
        }
        catch (JsonException)
        {
            return text;
        }
    }

    /// <summary>A JSON value indented for reading.</summary>
    public static string PrettyJson(JsonElement value) => JsonSerializer.Serialize(value, Indented);

    /// <summary>The CSS class of one line of a unified diff.</summary>
    public static string? DiffLineClass(string line) =>
        line.StartsWith("diff --git", StringComparison.Ordinal) ? "file"
        : line.StartsWith("+++", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal) ? "meta"
        : line.StartsWith("@@", StringComparison.Ordinal) ? "hunk"
        : line.StartsWith('+') ? "add"
        : line.StartsWith('-') ? "del"
        : null;
}
