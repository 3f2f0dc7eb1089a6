using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// Writes AWS event-stream (<c>application/vnd.amazon.eventstream</c>) frames: a prelude (total length, headers
/// length, prelude CRC32, all big-endian), string headers (name length, name, type 7, value length, value), the
/// payload and a CRC32 of everything before it.
/// </summary>
internal static class EventStreamFrame
{
    private const byte StringHeaderType = 7;
    private const int PreludeLength = 12;
    private const int Overhead = PreludeLength + 4;

    // Bedrock's InvokeModelWithResponseStream sends every chunk with these three headers.
    private static readonly byte[] ChunkHeaders = EncodeHeaders(
        (":event-type", "chunk"),
        (":content-type", "application/json"),
        (":message-type", "event"));

    private static readonly byte[] BytesPrefix = "{\"bytes\":\""u8.ToArray();
    private static readonly byte[] BytesSuffix = "\"}"u8.ToArray();

    /// <summary>
    /// Writes one Bedrock <c>chunk</c> frame whose payload is <c>{"bytes":"&lt;base64 of <paramref name="eventJson"/>&gt;"}</c>.
    /// </summary>
    public static void WriteChunk(IBufferWriter<byte> output, ReadOnlySpan<byte> eventJson)
    {
        var base64Length = Base64.GetMaxEncodedToUtf8Length(eventJson.Length);
        var payloadLength = BytesPrefix.Length + base64Length + BytesSuffix.Length;
        var total = Overhead + ChunkHeaders.Length + payloadLength;
        var span = output.GetSpan(total)[..total];

        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)ChunkHeaders.Length);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], Crc32.Compute(span[..8]));
        var at = PreludeLength;
        ChunkHeaders.CopyTo(span[at..]);
        at += ChunkHeaders.Length;
        BytesPrefix.CopyTo(span[at..]);
        at += BytesPrefix.Length;
        Base64.EncodeToUtf8(eventJson, span[at..], out _, out var written);
        at += written;
        BytesSuffix.CopyTo(span[at..]);
        at += BytesSuffix.Length;
        BinaryPrimitives.WriteUInt32BigEndian(span[at..], Crc32.Compute(span[..at]));
        output.Advance(total);
    }

    /// <summary>Encodes string headers in event-stream form.</summary>
    public static byte[] EncodeHeaders(params (string Name, string Value)[] headers)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var (name, value) in headers)
        {
            var nameBytes = System.Text.Encoding.UTF8.GetBytes(name);
            var valueBytes = System.Text.Encoding.UTF8.GetBytes(value);
            var span = buffer.GetSpan(1 + nameBytes.Length + 3 + valueBytes.Length);
            span[0] = (byte)nameBytes.Length;
            nameBytes.CopyTo(span[1..]);
            var at = 1 + nameBytes.Length;
            span[at] = StringHeaderType;
            BinaryPrimitives.WriteUInt16BigEndian(span[(at + 1)..], (ushort)valueBytes.Length);
            valueBytes.CopyTo(span[(at + 3)..]);
            buffer.Advance(at + 3 + valueBytes.Length);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
