using System.Buffers.Binary;
using System.Text;
using Warden.Models.Aws;

namespace Warden.Models.Tests;

/// <summary>Writes AWS event-stream messages, as Bedrock sends them, for decoder tests.</summary>
internal static class EventStreamEncoder
{
    public static byte[] Encode(IEnumerable<(string Name, string Value)> headers, byte[] payload, byte[]? rawHeaders = null)
    {
        var headerBytes = new MemoryStream();
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value);
            headerBytes.WriteByte((byte)nameBytes.Length);
            headerBytes.Write(nameBytes);
            headerBytes.WriteByte(7);
            headerBytes.WriteByte((byte)(valueBytes.Length >> 8));
            headerBytes.WriteByte((byte)valueBytes.Length);
            headerBytes.Write(valueBytes);
        }

        if (rawHeaders is not null)
        {
            headerBytes.Write(rawHeaders);
        }

        var h = headerBytes.ToArray();
        var total = 12 + h.Length + payload.Length + 4;
        var message = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(message, (uint)total);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), (uint)h.Length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(8), Crc32.Compute(message.AsSpan(0, 8)));
        h.CopyTo(message, 12);
        payload.CopyTo(message, 12 + h.Length);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(total - 4), Crc32.Compute(message.AsSpan(0, total - 4)));
        return message;
    }

    /// <summary>A Bedrock <c>chunk</c> event carrying one Anthropic event.</summary>
    public static byte[] Chunk(string anthropicEventJson) => Encode(
        [(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")],
        Encoding.UTF8.GetBytes($$"""{"bytes":"{{Convert.ToBase64String(Encoding.UTF8.GetBytes(anthropicEventJson))}}","p":"abcdefgh"}"""));

    public static byte[] Exception(string type, string message) => Encode(
        [(":exception-type", type), (":content-type", "application/json"), (":message-type", "exception")],
        Encoding.UTF8.GetBytes($$"""{"message":"{{message}}"}"""));
}
