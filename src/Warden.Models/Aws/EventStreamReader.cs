using System.Buffers.Binary;
using System.Text;

namespace Warden.Models.Aws;

/// <summary>
/// Decodes AWS event-stream messages: a 12-byte prelude (total length and headers length, big-endian u32, then the
/// prelude's CRC-32), the headers (name length u8, name, value type u8, value), the payload and the CRC-32 of
/// everything before it. String headers are kept; other header types are skipped by their size. A bad CRC, an
/// impossible length or a stream that ends inside a message throws <see cref="ModelStreamException"/>.
/// </summary>
internal sealed class EventStreamReader(Stream stream)
{
    /// <summary>AWS caps a message at 16 MiB of payload and 128 KiB of headers.</summary>
    private const int MaxMessageLength = (16 * 1024 * 1024) + (128 * 1024) + 16;

    private const int PreludeLength = 12;

    private readonly byte[] _prelude = new byte[PreludeLength];

    /// <summary>The next message, or null when the stream ends cleanly between messages.</summary>
    public async ValueTask<EventStreamMessage?> ReadAsync(CancellationToken ct)
    {
        var read = await ReadFullyAsync(_prelude, ct).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < PreludeLength)
        {
            throw Truncated();
        }

        var totalLength = BinaryPrimitives.ReadUInt32BigEndian(_prelude);
        var headersLength = BinaryPrimitives.ReadUInt32BigEndian(_prelude.AsSpan(4));
        var preludeCrc = BinaryPrimitives.ReadUInt32BigEndian(_prelude.AsSpan(8));
        if (Crc32.Compute(_prelude.AsSpan(0, 8)) != preludeCrc)
        {
            throw new ModelStreamException("The model provider's event stream is corrupted (prelude checksum mismatch).");
        }

        if (totalLength < PreludeLength + 4 || totalLength > MaxMessageLength || headersLength > totalLength - PreludeLength - 4)
        {
            throw new ModelStreamException("The model provider's event stream has a malformed message (impossible length).");
        }

        var rest = new byte[totalLength - PreludeLength];
        if (await ReadFullyAsync(rest, ct).ConfigureAwait(false) < rest.Length)
        {
            throw Truncated();
        }

        var body = rest.AsSpan(0, rest.Length - 4);
        var messageCrc = BinaryPrimitives.ReadUInt32BigEndian(rest.AsSpan(rest.Length - 4));
        if (Crc32.Append(Crc32.Compute(_prelude), body) != messageCrc)
        {
            throw new ModelStreamException("The model provider's event stream is corrupted (message checksum mismatch).");
        }

        var headers = ParseHeaders(body[..(int)headersLength]);
        return new EventStreamMessage(headers, body[(int)headersLength..].ToArray());
    }

    private static Dictionary<string, string> ParseHeaders(ReadOnlySpan<byte> span)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!span.IsEmpty)
        {
            int nameLength = span[0];
            if (span.Length < 1 + nameLength + 1)
            {
                throw Malformed();
            }

            var name = Encoding.UTF8.GetString(span.Slice(1, nameLength));
            var type = span[1 + nameLength];
            span = span[(2 + nameLength)..];
            int size;
            switch (type)
            {
                case 0 or 1:
                    size = 0;
                    break;
                case 2:
                    size = 1;
                    break;
                case 3:
                    size = 2;
                    break;
                case 4:
                    size = 4;
                    break;
                case 5 or 8:
                    size = 8;
                    break;
                case 9:
                    size = 16;
                    break;
                case 6 or 7:
                    if (span.Length < 2)
                    {
                        throw Malformed();
                    }

                    int length = BinaryPrimitives.ReadUInt16BigEndian(span);
                    if (span.Length < 2 + length)
                    {
                        throw Malformed();
                    }

                    if (type == 7)
                    {
                        headers[name] = Encoding.UTF8.GetString(span.Slice(2, length));
                    }

                    size = 2 + length;
                    break;
                default:
                    throw Malformed();
            }

            if (span.Length < size)
            {
                throw Malformed();
            }

            span = span[size..];
        }

        return headers;
    }

    private async ValueTask<int> ReadFullyAsync(byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private static ModelStreamException Truncated() => new("The model provider's event stream ended in the middle of a message.");

    private static ModelStreamException Malformed() => new("The model provider's event stream has a malformed message header.");
}
