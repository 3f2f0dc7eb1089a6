using System.Buffers;
using Warden.Audit;
using Warden.Audit.Verification;

namespace Warden.Data.Audit;

/// <summary>
/// A run of stored events for <see cref="LedgerVerifier.AddEncodedEvents"/>, their canonical bytes copied one after
/// the other into a single pooled buffer (instead of an array per row). The buffer grows, by doubling, when a row
/// does not fit; a chunk is reused for the next run after <see cref="Clear"/>, so it settles at the size of the
/// largest run and allocates nothing more.
/// </summary>
internal sealed class EncodedEventChunk : IDisposable
{
    private readonly EncodedAuditEvent[] _events;
    private readonly int[] _offsets;
    private byte[] _buffer;
    private int _used;

    public EncodedEventChunk(int capacity, int initialBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _events = new EncodedAuditEvent[capacity];
        _offsets = new int[capacity];
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initialBytes, 16));
    }

    /// <summary>Rows added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>True when no more rows fit.</summary>
    public bool IsFull => Count == _events.Length;

    /// <summary>Bytes the buffer can hold now (grows as needed).</summary>
    internal int BufferCapacity => _buffer.Length;

    /// <summary>Copies a row in; <paramref name="body"/> may be overwritten once this returns.</summary>
    public void Add(long sequence, in AuditHash previousHash, in AuditHash hash, ReadOnlySpan<byte> body)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("The chunk is full.");
        }

        if (body.Length > _buffer.Length - _used)
        {
            Grow(body.Length);
        }

        body.CopyTo(_buffer.AsSpan(_used));
        _offsets[Count] = _used;
        _events[Count] = new EncodedAuditEvent(sequence, previousHash, hash, default);
        _used += body.Length;
        Count++;
    }

    /// <summary>
    /// The rows added, each pointing into the buffer. Valid until the next <see cref="Add"/>, <see cref="Clear"/> or
    /// <see cref="Dispose"/>: the buffer may move while rows are being added, so the views are made here, at the end.
    /// </summary>
    public ReadOnlyMemory<EncodedAuditEvent> Seal()
    {
        for (var i = 0; i < Count; i++)
        {
            var end = i + 1 < Count ? _offsets[i + 1] : _used;
            _events[i] = _events[i] with { Canonical = _buffer.AsMemory(_offsets[i], end - _offsets[i]) };
        }

        return _events.AsMemory(0, Count);
    }

    public void Clear()
    {
        Count = 0;
        _used = 0;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        Clear();
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Grow(int needed)
    {
        var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_used + needed));
        var larger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
