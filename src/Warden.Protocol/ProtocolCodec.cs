using System.Buffers;
using System.Text.Json;

namespace Warden.Protocol;

/// <summary>Encodes and decodes messages as UTF-8 JSON, one message per WebSocket text frame.</summary>
public static class ProtocolCodec
{
    /// <summary>The largest frame either side accepts (tool results carry truncated output, so 4 MiB is ample).</summary>
    public const int MaxFrameBytes = 4 * 1024 * 1024;

    /// <summary>Writes <paramref name="message"/> into <paramref name="buffer"/>.</summary>
    public static void Write(ProtocolMessage message, IBufferWriter<byte> buffer)
    {
        using var writer = new Utf8JsonWriter(buffer);
        JsonSerializer.Serialize(writer, message, ProtocolJsonContext.Default.ProtocolMessage);
    }

    /// <summary>The UTF-8 JSON of <paramref name="message"/>.</summary>
    public static byte[] Serialize(ProtocolMessage message) => JsonSerializer.SerializeToUtf8Bytes(message, ProtocolJsonContext.Default.ProtocolMessage);

    /// <summary>Reads one message; throws <see cref="ProtocolException"/> for malformed JSON or an unknown type.</summary>
    public static ProtocolMessage Read(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, ProtocolJsonContext.Default.ProtocolMessage)
                ?? throw new ProtocolException("The frame holds no message.");
        }
        catch (JsonException e)
        {
            // The JSON reader's message names the path and position, not the content; safe to pass on.
            throw new ProtocolException("Not a valid protocol message: " + e.Message, e);
        }
        catch (NotSupportedException e)
        {
            // Raised for a missing or unknown "type" discriminator.
            throw new ProtocolException("Unknown or missing message type.", e);
        }
    }
}
