using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// OpenAI embeddings: a deterministic unit vector per input, seeded by a hash of the input, so equal inputs embed
/// equally across runs and servers. Honours <c>dimensions</c> and <c>encoding_format</c> (<c>float</c> or
/// <c>base64</c>, little-endian float32).
/// </summary>
internal static class EmbeddingsWire
{
    /// <summary>The vector length when the request does not ask for one.</summary>
    public static int DefaultDimensions(string? model) =>
        model is not null && model.Contains("3-large", StringComparison.Ordinal) ? 3072 : 1536;

    /// <summary>The inputs to embed, as strings (token arrays keep their JSON text); null when <c>input</c> is missing or malformed.</summary>
    public static List<string>? ReadInputs(JsonElement root)
    {
        if (!root.TryGetProperty("input", out var input))
        {
            return null;
        }

        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return [input.GetString()!];
            case JsonValueKind.Array when input.GetArrayLength() > 0:
                // An array of numbers is one tokenised input; otherwise each element is an input.
                if (input[0].ValueKind == JsonValueKind.Number)
                {
                    return [input.GetRawText()];
                }

                var inputs = new List<string>(input.GetArrayLength());
                foreach (var item in input.EnumerateArray())
                {
                    if (item.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
                    {
                        return null;
                    }

                    inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
                }

                return inputs;
            default:
                return null;
        }
    }

    /// <summary>The embedding of <paramref name="input"/>, <paramref name="dimensions"/> long, unit length.</summary>
    public static float[] Embed(string input, int dimensions)
    {
        // FNV-1a over the UTF-8 bytes seeds a SplitMix64 sequence; the vector is then normalised like OpenAI's.
        var state = 14695981039346656037UL;
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetByteCount(input) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(input, buffer)] : Encoding.UTF8.GetBytes(input);
        foreach (var b in bytes)
        {
            state = (state ^ b) * 1099511628211UL;
        }

        var vector = new float[dimensions];
        double sumOfSquares = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            var z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            var value = (float)((z >> 11) * (1.0 / (1UL << 53)) * 2.0 - 1.0);
            vector[i] = value;
            sumOfSquares += value * value;
        }

        var scale = (float)(1.0 / Math.Sqrt(sumOfSquares));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }

    /// <summary>Rough token count: about four characters a token, at least one.</summary>
    public static int Tokens(string text) => Math.Max(1, (text.Length + 3) / 4);

    /// <summary>Writes the <c>list</c> of embeddings.</summary>
    public static void Write(Utf8JsonWriter w, string model, List<string> inputs, int dimensions, bool base64)
    {
        var tokens = 0;
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        for (var i = 0; i < inputs.Count; i++)
        {
            tokens += Tokens(inputs[i]);
            var vector = Embed(inputs[i], dimensions);
            w.WriteStartObject();
            w.WriteString("object", "embedding");
            w.WriteNumber("index", i);
            if (base64)
            {
                w.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
            }
            else
            {
                w.WriteStartArray("embedding");
                foreach (var value in vector)
                {
                    w.WriteNumberValue(value);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteString("model", model);
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", tokens);
        w.WriteNumber("total_tokens", tokens);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
