using System.Globalization;
using System.Text;

namespace Warden.Sandbox.Internal;

/// <summary>Keeps the first and the last bytes of one output stream and counts what lies between.</summary>
internal sealed class OutputCapture(int headBytes, int tailBytes)
{
    private readonly byte[] _head = new byte[Math.Max(0, headBytes)];
    private readonly byte[] _tail = new byte[Math.Max(0, tailBytes)];
    private int _headLength;
    private long _tailWritten;
    private long _total;

    /// <summary>Bytes seen so far.</summary>
    public long TotalBytes => _total;

    /// <summary>Adds bytes as they arrive.</summary>
    public void Append(ReadOnlySpan<byte> data)
    {
        _total += data.Length;
        var toHead = Math.Min(data.Length, _head.Length - _headLength);
        if (toHead > 0)
        {
            data[..toHead].CopyTo(_head.AsSpan(_headLength));
            _headLength += toHead;
            data = data[toHead..];
        }

        if (_tail.Length == 0)
        {
            return;
        }

        // Only the last bytes can end up in the ring; skip the rest but count them so positions stay consistent.
        var skip = Math.Max(0, data.Length - _tail.Length);
        _tailWritten += skip;
        foreach (var b in data[skip..])
        {
            _tail[(int)(_tailWritten % _tail.Length)] = b;
            _tailWritten++;
        }
    }

    /// <summary>Bytes left out of <see cref="ToText"/>.</summary>
    public long OmittedBytes => Math.Max(0, _total - _headLength - Math.Min(_tailWritten, _tail.Length));

    /// <summary>The text: everything, or head + marker + tail when bytes were left out.</summary>
    public string ToText()
    {
        var tailLength = (int)Math.Min(_tailWritten, _tail.Length);
        var tail = new byte[tailLength];
        if (tailLength > 0)
        {
            var start = (int)((_tailWritten - tailLength) % _tail.Length);
            for (var i = 0; i < tailLength; i++)
            {
                tail[i] = _tail[(start + i) % _tail.Length];
            }
        }

        var omitted = OmittedBytes;
        if (omitted == 0)
        {
            var all = new byte[_headLength + tailLength];
            _head.AsSpan(0, _headLength).CopyTo(all);
            tail.CopyTo(all.AsSpan(_headLength));
            return Encoding.UTF8.GetString(all);
        }

        return string.Concat(
            Encoding.UTF8.GetString(_head, 0, _headLength),
            string.Create(CultureInfo.InvariantCulture, $"\n[... {omitted} bytes omitted ...]\n"),
            Encoding.UTF8.GetString(tail));
    }
}
