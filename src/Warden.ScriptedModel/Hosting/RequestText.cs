using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Warden.ScriptedModel.Hosting;

/// <summary>Reads the conversation text out of a request body, for the echo reply and derived token counts.</summary>
internal static class RequestText
{
    private const int EchoLength = 80;

    /// <summary>The text of the last user message, or null when there is none.</summary>
    public static string? LastUserText(JsonElement root, WireFormat format)
    {
        var property = format == WireFormat.OpenAIResponses ? "input" : "messages";
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(property, out var messages))
        {
            return null;
        }

        if (messages.ValueKind == JsonValueKind.String)
        {
            return messages.GetString();
        }

        if (messages.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        string? last = null;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object
                && message.TryGetProperty("role", out var role) && role.ValueEquals("user")
                && message.TryGetProperty("content", out var content)
                && ContentText(content) is { Length: > 0 } text)
            {
                last = text;
            }
        }

        return last;
    }

    /// <summary>The deterministic echo reply for a request.</summary>
    public static string Echo(string? lastUserText)
    {
        if (string.IsNullOrWhiteSpace(lastUserText))
        {
            return "scripted reply to: (no user text)";
        }

        var text = lastUserText.ReplaceLineEndings(" ").Trim();
        return text.Length <= EchoLength
            ? "scripted reply to: " + text
            : string.Concat("scripted reply to: ", text.AsSpan(0, EchoLength), "...");
    }

    /// <summary>
    /// The number of characters of prompt text: every string inside the messages (or input), the system prompt and
    /// the instructions. Deterministic, not a tokenizer.
    /// </summary>
    public static int PromptCharacters(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return 0;
        }

        var count = 0;
        foreach (var name in (ReadOnlySpan<string>)["messages", "input", "system", "instructions"])
        {
            if (root.TryGetProperty(name, out var value))
            {
                count += StringLengths(value);
            }
        }

        return count;
    }

    private static string? ContentText(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        StringBuilder? text = null;
        foreach (var part in content.EnumerateArray())
        {
            // Chat "text", Responses "input_text", Anthropic "text"; tool results and images are not user text.
            if (part.ValueKind == JsonValueKind.Object
                && part.TryGetProperty("type", out var type) && (type.ValueEquals("text") || type.ValueEquals("input_text"))
                && part.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String)
            {
                (text ??= new StringBuilder()).Append(text.Length > 0 ? " " : string.Empty).Append(value.GetString());
            }
        }

        return text?.ToString();
    }

    private static int StringLengths(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                // The raw UTF-8 length (less the quotes) avoids materialising every prompt string.
                return Math.Max(0, JsonMarshal.GetRawUtf8Value(value).Length - 2);
            case JsonValueKind.Array:
                var sum = 0;
                foreach (var item in value.EnumerateArray())
                {
                    sum += StringLengths(item);
                }

                return sum;
            case JsonValueKind.Object:
                var total = 0;
                foreach (var property in value.EnumerateObject())
                {
                    // Roles and part types are structure, not prompt text.
                    if (property.NameEquals("role") || property.NameEquals("type"))
                    {
                        continue;
                    }

                    total += StringLengths(property.Value);
                }

                return total;
            default:
                return 0;
        }
    }
}
