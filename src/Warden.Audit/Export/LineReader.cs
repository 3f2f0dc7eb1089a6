namespace Warden.Audit.Export;

/// <summary>Splits a stream into <c>\n</c>-terminated lines over one reusable buffer (no per-line allocation).</summary>
internal sealed class LineReader(Stream stream, int maxInitialSize = 1 << 20)
{
    private byte[] _buffer = new byte[InitialSize(stream, maxInitialSize)];
    private int _start;
    private int _end;
    private bool _eof;

    /// <summary>Bytes consumed from the stream before the current buffer position (for offsets).</summary>
    public long Position { get; private set; }

    /// <summary>The backing buffer; line offsets from <see cref="TryReadLine(out int, out int)"/> are valid until the next fill.</summary>
    public byte[] Buffer => _buffer;

    public bool TryReadLine(out int start, out int length)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        if (newline < 0)
        {
            start = 0;
            length = 0;
            return false;
        }

        start = _start;
        length = newline;
        _start += newline + 1;
        Position += newline + 1;
        return true;
    }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        var available = _buffer.AsSpan(_start, _end - _start);
        var newline = available.IndexOf((byte)'\n');
        if (newline < 0)
        {
            line = default;
            return false;
        }

        line = available[..newline];
        _start += newline + 1;
        Position += newline + 1;
        return true;
    }

    // Small inputs (single exports in tests, short files) should not pay for a megabyte buffer.
    private static int InitialSize(Stream stream, int max)
    {
        try
        {
            return stream.CanSeek ? (int)Math.Clamp(stream.Length - stream.Position + 1, 4096, max) : max;
        }
        catch (NotSupportedException)
        {
            return max;
        }
    }

    /// <summary>After EOF: the unterminated rest of the stream, if any.</summary>
    public ReadOnlySpan<byte> Remainder => _eof ? _buffer.AsSpan(_start, _end - _start) : default;

    /// <summary>Reads more data; false at end of stream.</summary>
    public async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof)
        {
            return false;
        }

        if (_start > 0)
        {
            System.Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // A single line longer than the buffer: grow.
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }
}
