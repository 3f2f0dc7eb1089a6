using System.Buffers.Binary;
using System.Text;

namespace Warden.ScriptedModel.Tests;

/// <summary>
/// An independent AWS event-stream decoder for the tests: checks the lengths, the prelude CRC and the message CRC of
/// every frame (with its own bit-by-bit CRC-32, not the server's table) and reads string headers.
/// </summary>
internal static class EventStreamDecoder
{
    public static List<EventStreamMessage> Decode(byte[] data)
    {
        var messages = new List<EventStreamMessage>();
        var offset = 0;
        while (offset < data.Length)
        {
            var frame = data.AsSpan(offset);
            frame.Length.ShouldBeGreaterThanOrEqualTo(16, "a frame is at least 16 bytes");
            var total = (int)BinaryPrimitives.ReadUInt32BigEndian(frame);
            var headersLength = (int)BinaryPrimitives.ReadUInt32BigEndian(frame[4..]);
            var preludeCrc = BinaryPrimitives.ReadUInt32BigEndian(frame[8..]);
            Crc32(frame[..8]).ShouldBe(preludeCrc, "prelude CRC");
            frame.Length.ShouldBeGreaterThanOrEqualTo(total);
            frame = frame[..total];
            var messageCrc = BinaryPrimitives.ReadUInt32BigEndian(frame[(total - 4)..]);
            Crc32(frame[..(total - 4)]).ShouldBe(messageCrc, "message CRC");

            var headers = new Dictionary<string, string>();
            var h = frame.Slice(12, headersLength);
            while (h.Length > 0)
            {
                var nameLength = h[0];
                var name = Encoding.UTF8.GetString(h.Slice(1, nameLength));
                h = h[(1 + nameLength)..];
                h[0].ShouldBe((byte)7, "string header type");
                var valueLength = BinaryPrimitives.ReadUInt16BigEndian(h[1..]);
                headers[name] = Encoding.UTF8.GetString(h.Slice(3, valueLength));
                h = h[(3 + valueLength)..];
            }

            var payload = frame[(12 + headersLength)..(total - 4)].ToArray();
            messages.Add(new EventStreamMessage(headers, payload));
            offset += total;
        }

        return messages;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
