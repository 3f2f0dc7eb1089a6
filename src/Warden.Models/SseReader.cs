using System.Buffers;
using System.Text;

namespace Warden.Models;

/// <summary>
/// Reads server-sent events from a byte stream (WHATWG rules: LF, CR or CRLF line ends, <c>field: value</c> with one
/// optional space, multi-line data joined with <c>'\n'</c>, a blank line dispatches). Comment lines (<c>: ping</c>)
/// and keep-alives are skipped and not exposed; <c>id</c> and <c>retry</c> fields are ignored. An event whose data
/// was not followed by a blank line before the end of the stream is still returned. Lines are parsed in a pooled
/// buffer: the only allocations per event are its data string and, for names not seen recently, its event name.
/// Not thread-safe. Disposing returns the buffers to the pool; it does not dispose the stream.
/// </summary>
public sealed class SseReader : IDisposable
{
    private const int InitialBufferSize = 16 * 1024;
    private const int NameCacheSize = 32;

    private readonly Stream _stream;
    private readonly (byte[] Utf8, string Name)[] _names = new (byte[], string)[NameCacheSize];
    private byte[] _buffer;
    private byte[] _data;
    private int _start;
    private int _end;
    private int _dataLength;
    private int _nameCount;
    private bool _hasData;
    private bool _skipLineFeed;
    private bool _eof;
    private bool _checkedBom;
    private string? _eventName;

    /// <summary>A reader over <paramref name="stream"/>.</summary>
    public SseReader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        _data = ArrayPool<byte>.Shared.Rent(1024);
    }

    /// <summary>The next event, or null at the end of the stream.</summary>
    public async ValueTask<SseEvent?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            if (TryReadLine(out var lineStart, out var lineLength))
            {
                if (ProcessLine(_buffer.AsSpan(lineStart, lineLength)) is { } dispatched)
                {
                    return dispatched;
                }

                continue;
            }

            if (_eof)
            {
                // A final line without a line end, then any event it completes.
                if (_end > _start)
                {
                    var last = _buffer.AsSpan(_start, _end - _start);
                    _start = _end;
                    if (ProcessLine(last) is { } dispatched)
                    {
                        return dispatched;
                    }
                }

                return _hasData ? Dispatch() : null;
            }

            await FillAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the pooled buffers. The stream is left open.</summary>
    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            ArrayPool<byte>.Shared.Return(_data);
            _buffer = [];
            _data = [];
        }
    }

    private async ValueTask FillAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_buffer.Length == 0, this);
        if (_start > 0)
        {
            // Keep the partial line at the front so it can grow in place.
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        var read = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return;
        }

        _end += read;
        if (!_checkedBom && _end >= 3)
        {
            _checkedBom = true;
            if (_buffer.AsSpan(0, 3).SequenceEqual("\uFEFF"u8))
            {
                _start = 3;
            }
        }
    }

    private bool TryReadLine(out int lineStart, out int lineLength)
    {
        if (_skipLineFeed && _start < _end)
        {
            // The previous line ended with CR; a following LF belongs to it.
            _skipLineFeed = false;
            if (_buffer[_start] == (byte)'\n')
            {
                _start++;
            }
        }

        var span = _buffer.AsSpan(_start, _end - _start);
        var index = span.IndexOfAny((byte)'\n', (byte)'\r');
        if (index < 0 || (!_checkedBom && _end < 3 && !_eof))
        {
            lineStart = 0;
            lineLength = 0;
            return false;
        }

        lineStart = _start;
        lineLength = index;
        _skipLineFeed = span[index] == (byte)'\r';
        _start += index + 1;
        return true;
    }

    private SseEvent? ProcessLine(ReadOnlySpan<byte> line)
    {
        if (line.IsEmpty)
        {
            if (_hasData)
            {
                return Dispatch();
            }

            _eventName = null;
            return null;
        }

        if (line[0] == (byte)':')
        {
            return null;
        }

        var colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> field;
        ReadOnlySpan<byte> value;
        if (colon < 0)
        {
            field = line;
            value = default;
        }
        else
        {
            field = line[..colon];
            value = line[(colon + 1)..];
            if (!value.IsEmpty && value[0] == (byte)' ')
            {
                value = value[1..];
            }
        }

        if (field.SequenceEqual("data"u8))
        {
            AppendData(value);
        }
        else if (field.SequenceEqual("event"u8))
        {
            _eventName = Intern(value);
        }

        return null;
    }

    private void AppendData(ReadOnlySpan<byte> value)
    {
        var needed = _dataLength + value.Length + 1;
        if (needed > _data.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _data.Length * 2));
            _data.AsSpan(0, _dataLength).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_data);
            _data = larger;
        }

        if (_hasData)
        {
            _data[_dataLength++] = (byte)'\n';
        }

        value.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += value.Length;
        _hasData = true;
    }

    private SseEvent Dispatch()
    {
        var data = _dataLength == 0 ? "" : Encoding.UTF8.GetString(_data, 0, _dataLength);
        var result = new SseEvent(_eventName, data);
        _eventName = null;
        _dataLength = 0;
        _hasData = false;
        return result;
    }

    // Streams repeat a handful of event names; reuse their strings.
    private string Intern(ReadOnlySpan<byte> utf8)
    {
        for (var i = 0; i < _nameCount; i++)
        {
            if (utf8.SequenceEqual(_names[i].Utf8))
            {
                return _names[i].Name;
            }
        }

        var name = Encoding.UTF8.GetString(utf8);
        if (_nameCount < NameCacheSize)
        {
            _names[_nameCount++] = (utf8.ToArray(), name);
        }

        return name;
    }
}
