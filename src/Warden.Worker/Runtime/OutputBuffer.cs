using System.Text;

namespace Warden.Worker.Runtime;

/// <summary>
/// Keeps a call's output within a byte budget: the first half of the budget from the head and the last half from the
/// tail, so both the command's start and its final error survive; the middle is replaced by a marker.
/// </summary>
public sealed class OutputBuffer(int limitBytes)
{
    private readonly StringBuilder _head = new();
    private readonly Queue<string> _tail = new();
    private readonly int _half = Math.Max(1, limitBytes / 2);
    private int _headBytes;
    private int _tailBytes;
    private long _droppedBytes;

    /// <summary>True when some output was dropped.</summary>
    public bool Truncated => _droppedBytes > 0;

    /// <summary>Appends a piece of output.</summary>
    public void Append(string text)
    {
        lock (_tail)
        {
            if (_tail.Count == 0 && _headBytes < _half)
            {
                // Fill the head first, with as much of this piece as fits.
                var take = Math.Min(text.Length, _half - _headBytes);
                while (take > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, take)) > _half - _headBytes)
                {
                    take--;
                }

                if (take > 0 && take < text.Length && char.IsHighSurrogate(text[take - 1]))
                {
                    take--;
                }

                _head.Append(text, 0, take);
                _headBytes += Encoding.UTF8.GetByteCount(text.AsSpan(0, take));
                text = text[take..];
                if (text.Length == 0)
                {
                    return;
                }
            }

            var bytes = Encoding.UTF8.GetByteCount(text);

            _tail.Enqueue(text);
            _tailBytes += bytes;
            while (_tailBytes > _half && _tail.Count > 1)
            {
                var dropped = _tail.Dequeue();
                var n = Encoding.UTF8.GetByteCount(dropped);
                _tailBytes -= n;
                _droppedBytes += n;
            }

            if (_tailBytes > _half && _tail.Count == 1)
            {
                // One huge piece: keep its end.
                var only = _tail.Dequeue();
                var keep = only[^Math.Min(only.Length, _half)..];
                _droppedBytes += bytes - Encoding.UTF8.GetByteCount(keep);
                _tail.Enqueue(keep);
                _tailBytes = Encoding.UTF8.GetByteCount(keep);
            }
        }
    }

    /// <summary>The kept output, with a marker where the middle was cut.</summary>
    public override string ToString()
    {
        lock (_tail)
        {
            var text = new StringBuilder(_head.ToString());
            if (_droppedBytes > 0)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\n[... {_droppedBytes} bytes of output omitted ...]\n");
            }

            foreach (var piece in _tail)
            {
                text.Append(piece);
            }

            return text.ToString();
        }
    }
}
