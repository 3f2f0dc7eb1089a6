using System.Text.Json;

namespace Warden.ScriptedModel.Wire;

/// <summary><c>GET /v1/models</c> in OpenAI's shape (<c>{"object":"list","data":[...]}</c>) or Anthropic's (<c>data</c>, <c>has_more</c>, <c>first_id</c>, <c>last_id</c>).</summary>
internal static class ModelListWire
{
    private const long CreatedUnix = 1735689600; // 2025-01-01

    /// <summary>Writes the OpenAI model list.</summary>
    public static void WriteOpenAI(Utf8JsonWriter w, IReadOnlyList<string> models)
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var model in models)
        {
            w.WriteStartObject();
            w.WriteString("id", model);
            w.WriteString("object", "model");
            w.WriteNumber("created", CreatedUnix);
            w.WriteString("owned_by", "system");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes the Anthropic model list.</summary>
    public static void WriteAnthropic(Utf8JsonWriter w, IReadOnlyList<string> models)
    {
        w.WriteStartObject();
        w.WriteStartArray("data");
        foreach (var model in models)
        {
            w.WriteStartObject();
            w.WriteString("type", "model");
            w.WriteString("id", model);
            w.WriteString("display_name", model);
            w.WriteString("created_at", "2025-01-01T00:00:00Z");
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("has_more", false);
        if (models.Count > 0)
        {
            w.WriteString("first_id", models[0]);
            w.WriteString("last_id", models[^1]);
        }
        else
        {
            w.WriteNull("first_id");
            w.WriteNull("last_id");
        }

        w.WriteEndObject();
    }
}
