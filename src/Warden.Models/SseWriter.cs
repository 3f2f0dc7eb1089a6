using System.Buffers;
using System.Text;

namespace Warden.Models;

/// <summary>Writes server-sent events.</summary>
public static class SseWriter
{
    /// <summary>
    /// Writes <c>event: NAME\n</c> (only when <see cref="SseEvent.Event"/> is not null), one <c>data: </c> line per
    /// line of <see cref="SseEvent.Data"/> (split on <c>'\n'</c>) and the blank line that ends the event.
    /// </summary>
    public static void Write(IBufferWriter<byte> output, in SseEvent e)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (e.Event is { } name)
        {
            WriteAscii(output, "event: "u8);
            WriteText(output, name);
            WriteAscii(output, "\n"u8);
        }

        var data = (e.Data ?? "").AsSpan();
        while (true)
        {
            var newline = data.IndexOf('\n');
            var line = newline < 0 ? data : data[..newline];
            WriteAscii(output, "data: "u8);
            WriteText(output, line);
            WriteAscii(output, "\n"u8);
            if (newline < 0)
            {
                break;
            }

            data = data[(newline + 1)..];
        }

        WriteAscii(output, "\n"u8);
    }

    private static void WriteAscii(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        output.Advance(bytes.Length);
    }

    private static void WriteText(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return;
        }

        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        var written = Encoding.UTF8.GetBytes(text, span);
        output.Advance(written);
    }
}
