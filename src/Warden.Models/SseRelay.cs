using System.Buffers;
using System.Text;

namespace Warden.Models;

/// <summary>
/// Passes a server-sent event stream through unchanged, as bytes, while a <see cref="StreamUsageMeter"/> reads each
/// event's UTF-8 data: the path for a stream whose upstream and client formats are the same, where decoding every
/// event to a string and encoding it again would buy nothing. Events are found by the same rules as
/// <see cref="SseReader"/> (LF, CR or CRLF line ends, <c>field: value</c>, multi-line data joined with <c>'\n'</c>, a
/// blank line dispatches, a leading byte-order mark skipped), and each complete event is forwarded as the exact bytes
/// the upstream sent, from its first line through the blank line that ends it. An event still incomplete at the end
/// of what has been read is held back until the rest arrives, so a client never receives half an event, and an event
/// whose data was not followed by a blank line before the end of the stream is forwarded with one. Blank lines,
/// comments (<c>: ping</c>) and fields outside an event that carries data are not forwarded, as with
/// <see cref="SseReader"/>, which does not expose them.
/// </summary>
/// <remarks>
/// Use: <see cref="GetReadMemory"/>, read into it, <see cref="Process"/> the count (0 at the end of the stream), then
/// <see cref="WriteTo"/> the output. Not thread-safe. Disposing returns the pooled buffers.
/// </remarks>
public sealed class SseRelay : IDisposable
{
    private const int InitialBufferSize = 16 * 1024;
    private const int MinRead = 4 * 1024;

    private readonly StreamUsageMeter _meter;
    private readonly bool _hideUsageOnlyChunks;
    private readonly StringBuilder? _capture;
    private readonly List<(int Start, int Length)> _output = new(4);
    private byte[] _buffer;
    private byte[]? _joined;

    // Bytes before _segmentStart are decided (forwarded, see _output, or dropped); [_segmentStart, _scan) are the
    // complete lines of the current event, and [_scan, _end) a line still without its end.
    private int _segmentStart;
    private int _scan;
    private int _end;
    private int _nameStart = -1;
    private int _nameLength;
    private int _dataStart = -1;
    private int _dataLength;
    private int _dataLines;
    private bool _skipLineFeed;
    private bool _checkedBom;
    private bool _ended;

    /// <summary>A relay that reports every event to <paramref name="meter"/>.</summary>
    /// <param name="meter">The meter for the upstream format.</param>
    /// <param name="hideUsageOnlyChunks">
    /// Drop OpenAI Chat chunks that carry only usage (<c>"choices":[]</c> and <c>"usage"</c>): the gateway asks the
    /// upstream for usage always and hides it from clients that did not ask. They are still metered.
    /// </param>
    /// <param name="capture">When not null, the data of every forwarded event is appended, each followed by <c>'\n'</c>.</param>
    public SseRelay(StreamUsageMeter meter, bool hideUsageOnlyChunks = false, StringBuilder? capture = null)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _hideUsageOnlyChunks = hideUsageOnlyChunks;
        _capture = capture;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    }

    /// <summary>True when output is waiting for <see cref="WriteTo"/>.</summary>
    public bool HasOutput => _output.Count > 0;

    /// <summary>Where to read the next bytes of the stream to; at least 4 KB.</summary>
    public Memory<byte> GetReadMemory()
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_output.Count > 0)
        {
            throw new InvalidOperationException("Write the output before reading more.");
        }

        if (_segmentStart > 0)
        {
            // Keep the unfinished event at the front so it can grow in place.
            var shift = _segmentStart;
            _buffer.AsSpan(shift, _end - shift).CopyTo(_buffer);
            _segmentStart = 0;
            _scan -= shift;
            _end -= shift;
            if (_nameStart >= 0)
            {
                _nameStart -= shift;
            }

            if (_dataStart >= 0)
            {
                _dataStart -= shift;
            }
        }

        if (_buffer.Length - _end < MinRead)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _end + MinRead));
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        return _buffer.AsMemory(_end);
    }

    /// <summary>
    /// Takes <paramref name="read"/> bytes just read into <see cref="GetReadMemory"/>, or 0 at the end of the stream.
    /// Meters every event they complete and queues the forwarded ones for <see cref="WriteTo"/>. Returns how many
    /// events (forwarded or hidden) they completed.
    /// </summary>
    public int Process(int read)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(read);
        if (_ended)
        {
            throw new InvalidOperationException("The stream has already ended.");
        }

        _end += read;
        if (read == 0)
        {
            _ended = true;
        }

        if (!_checkedBom)
        {
            if (_end < 3 && !_ended)
            {
                return 0;
            }

            _checkedBom = true;
            if (_buffer.AsSpan(0, _end).StartsWith("\uFEFF"u8))
            {
                _segmentStart = _scan = 3;
            }
        }

        var events = 0;
        while (true)
        {
            if (_skipLineFeed && _scan < _end)
            {
                // The previous line ended with CR; a following LF belongs to it.
                _skipLineFeed = false;
                if (_buffer[_scan] == (byte)'\n')
                {
                    if (_segmentStart == _scan)
                    {
                        // The CR ended the previous event: its LF goes with it, not at the front of the next one.
                        _segmentStart++;
                        if (_output.Count > 0 && _output[^1].Start + _output[^1].Length == _scan)
                        {
                            _output[^1] = (_output[^1].Start, _output[^1].Length + 1);
                        }
                    }

                    _scan++;
                }
            }

            var rest = _buffer.AsSpan(_scan, _end - _scan);
            var index = rest.IndexOfAny((byte)'\n', (byte)'\r');
            if (index < 0)
            {
                break;
            }

            var lineStart = _scan;
            _skipLineFeed = rest[index] == (byte)'\r';
            _scan += index + 1;
            if (Line(lineStart, index))
            {
                events++;
            }
        }

        if (_ended)
        {
            events += Finish();
        }

        return events;
    }

    /// <summary>Writes the queued output to <paramref name="output"/> and forgets it.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var (start, length) in _output)
        {
            output.Write(_buffer.AsSpan(start, length));
        }

        _output.Clear();
    }

    /// <summary>Returns the pooled buffers.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        if (_joined is not null)
        {
            ArrayPool<byte>.Shared.Return(_joined);
            _joined = null;
        }
    }

    /// <summary>One complete line of <paramref name="length"/> bytes at <paramref name="start"/> (its end not included). True when it dispatched an event.</summary>
    private bool Line(int start, int length)
    {
        var line = _buffer.AsSpan(start, length);
        if (line.IsEmpty)
        {
            if (_dataLines > 0)
            {
                Dispatch(_scan);
                return true;
            }

            // A blank line without data: nothing to dispatch, and nothing a client would see.
            Drop(_scan);
            return false;
        }

        if (line[0] == (byte)':')
        {
            return false;
        }

        var colon = line.IndexOf((byte)':');
        var fieldLength = colon < 0 ? length : colon;
        var valueStart = colon < 0 ? start + length : start + colon + 1;
        if (colon >= 0 && valueStart < start + length && _buffer[valueStart] == (byte)' ')
        {
            valueStart++;
        }

        var field = line[..fieldLength];
        if (field.SequenceEqual("data"u8))
        {
            if (_dataLines == 0)
            {
                _dataStart = valueStart;
                _dataLength = start + length - valueStart;
            }

            _dataLines++;
        }
        else if (field.SequenceEqual("event"u8))
        {
            _nameStart = valueStart;
            _nameLength = start + length - valueStart;
        }

        return false;
    }

    /// <summary>At the end of the stream: the last line without a line end, and an event it leaves without its blank line.</summary>
    private int Finish()
    {
        _skipLineFeed = false;
        var dispatched = 0;
        if (_scan < _end)
        {
            var start = _scan;
            _scan = _end;
            if (Line(start, _end - start))
            {
                dispatched++;
            }
        }

        if (_dataLines > 0)
        {
            // Forward the event with the blank line it lacked: its lines without their last line end, then "\n\n".
            var end = _end;
            while (end > _segmentStart && _buffer[end - 1] is (byte)'\n' or (byte)'\r')
            {
                end--;
            }

            if (_buffer.Length - end < 2)
            {
                var larger = ArrayPool<byte>.Shared.Rent(end + 2);
                _buffer.AsSpan(0, end).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }

            _buffer[end] = (byte)'\n';
            _buffer[end + 1] = (byte)'\n';
            _end = end + 2;
            Dispatch(_end);
            dispatched++;
        }
        else
        {
            Drop(_end);
        }

        return dispatched;
    }

    private void Dispatch(int segmentEnd)
    {
        var data = _dataLines == 1 ? _buffer.AsSpan(_dataStart, _dataLength) : JoinData(segmentEnd);
        var name = _nameStart >= 0 ? _buffer.AsSpan(_nameStart, _nameLength) : default;
        _meter.Observe(name, _nameStart >= 0, data);
        var hidden = _hideUsageOnlyChunks && data.IndexOf("\"usage\""u8) >= 0 && data.IndexOf("\"choices\":[]"u8) >= 0;
        if (hidden)
        {
            Drop(segmentEnd);
            return;
        }

        _capture?.Append(Encoding.UTF8.GetString(data)).Append('\n');
        if (_output.Count > 0 && _output[^1].Start + _output[^1].Length == _segmentStart)
        {
            // Contiguous with the previous forwarded event: one write for both.
            _output[^1] = (_output[^1].Start, segmentEnd - _output[^1].Start);
        }
        else
        {
            _output.Add((_segmentStart, segmentEnd - _segmentStart));
        }

        Reset(segmentEnd);
    }

    /// <summary>Forgets the current segment (nothing of it is forwarded).</summary>
    private void Drop(int segmentEnd) => Reset(segmentEnd);

    private void Reset(int segmentEnd)
    {
        _segmentStart = segmentEnd;
        _nameStart = -1;
        _dataStart = -1;
        _dataLength = 0;
        _dataLines = 0;
    }

    /// <summary>The data of a multi-line event, joined with '\n', parsed again from its lines (rare: providers send one data line per event).</summary>
    private ReadOnlySpan<byte> JoinData(int segmentEnd)
    {
        var needed = segmentEnd - _segmentStart;
        if (_joined is null || _joined.Length < needed)
        {
            if (_joined is not null)
            {
                ArrayPool<byte>.Shared.Return(_joined);
            }

            _joined = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 1024));
        }

        var length = 0;
        var first = true;
        var rest = _buffer.AsSpan(_segmentStart, segmentEnd - _segmentStart);
        while (!rest.IsEmpty)
        {
            var index = rest.IndexOfAny((byte)'\n', (byte)'\r');
            var line = index < 0 ? rest : rest[..index];
            if (index < 0)
            {
                rest = default;
            }
            else
            {
                var skip = rest[index] == (byte)'\r' && index + 1 < rest.Length && rest[index + 1] == (byte)'\n' ? 2 : 1;
                rest = rest[(index + skip)..];
            }

            if (!line.StartsWith("data"u8) || (line.Length > 4 && line[4] != (byte)':'))
            {
                continue;
            }

            var value = line.Length > 4 ? line[5..] : default;
            if (!value.IsEmpty && value[0] == (byte)' ')
            {
                value = value[1..];
            }

            if (!first)
            {
                _joined[length++] = (byte)'\n';
            }

            value.CopyTo(_joined.AsSpan(length));
            length += value.Length;
            first = false;
        }

        return _joined.AsSpan(0, length);
    }
}
