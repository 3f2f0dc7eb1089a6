using System.Buffers;
using System.Runtime.CompilerServices;
using Warden.Audit.Canonical;
using Warden.Audit.Export;

namespace Warden.Audit.Storage;

/// <summary>
/// A single-file store in the export format (<see cref="AuditExportFormat"/>): the file is at all times a valid
/// export that <see cref="AuditExportReader.VerifyAsync"/> can check. Appends are flushed to disk before they
/// complete. Meant for tooling, tests and small single-node setups, not as the server's main store: reads scan the file.
/// </summary>
public sealed class JsonLinesAuditLedgerStore : IAuditLedgerStore, IAsyncDisposable
{
    private readonly string _path;
    private readonly FileStream _stream;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AuditChainHead? _head;
    private AuditCheckpoint? _lastCheckpoint;

    // Bytes known to be complete and durable; readers never look past it, so they cannot see a half-written batch.
    private long _committedLength;

    private JsonLinesAuditLedgerStore(string path, FileStream stream, AuditChainHead? head, AuditCheckpoint? lastCheckpoint)
    {
        _path = path;
        _stream = stream;
        _head = head;
        _lastCheckpoint = lastCheckpoint;
        _committedLength = stream.Length;
    }

    /// <summary>
    /// Opens (or creates, writing the header) the ledger file at <paramref name="path"/>. An unterminated last line,
    /// left by a crash mid-write, is cut off: it was never acknowledged.
    /// </summary>
    /// <exception cref="FormatException">The file is not an export of <paramref name="ledgerId"/> starting at sequence 1.</exception>
    public static async Task<JsonLinesAuditLedgerStore> OpenAsync(string path, string ledgerId, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentException.ThrowIfNullOrEmpty(ledgerId);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        try
        {
            if (stream.Length == 0)
            {
                var header = new ArrayBufferWriter<byte>();
                AuditExportFormat.WriteHeaderLine(new AuditExportHeader(ledgerId, AuditCanonicalJson.ComputeGenesis(ledgerId), 1, (timeProvider ?? TimeProvider.System).GetUtcNow()), header);
                await stream.WriteAsync(header.WrittenMemory, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
                return new JsonLinesAuditLedgerStore(path, stream, null, null);
            }

            var (head, checkpoint, validLength) = await ScanAsync(stream, ledgerId, cancellationToken).ConfigureAwait(false);
            if (validLength < stream.Length)
            {
                stream.SetLength(validLength);
            }

            stream.Seek(0, SeekOrigin.End);
            return new JsonLinesAuditLedgerStore(path, stream, head, checkpoint);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Volatile.Read(ref _head));

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one event.", nameof(events));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var expected = (_head?.LastSequence ?? 0) + 1;
            if (events[0].Sequence != expected || (_head is not null && events[0].PreviousHash != _head.LastHash))
            {
                throw new AuditStoreConflictException($"Batch starting at {events[0].Sequence} does not continue the chain (expected {expected}).");
            }

            var buffer = new ArrayBufferWriter<byte>(events.Count * 1024);
            foreach (var e in events)
            {
                AuditExportFormat.WriteEventLine(e, buffer);
            }

            await WriteDurablyAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _head, new AuditChainHead(events[^1].Sequence, events[^1].Hash));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in ReadItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item is AuditExportReader.EventItem { Event: var e } && e.Sequence >= fromSequence && e.Sequence <= toSequence)
            {
                yield return e;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var last = Volatile.Read(ref _lastCheckpoint)?.ToSequence ?? 0;
            if (checkpoint.FromSequence != last + 1)
            {
                throw new AuditStoreConflictException($"The checkpoint starts at {checkpoint.FromSequence} but the last stored checkpoint ends at {last}.");
            }

            var buffer = new ArrayBufferWriter<byte>();
            AuditExportFormat.WriteCheckpointLine(checkpoint, buffer);
            await WriteDurablyAsync(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastCheckpoint, checkpoint);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Volatile.Read(ref _lastCheckpoint));

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in ReadItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item is AuditExportReader.CheckpointItem { Checkpoint: var c } && c.ToSequence >= fromSequence && c.ToSequence <= toSequence)
            {
                yield return c;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    /// <summary>Appends and fsyncs; on failure cuts the file back so no partial line survives. Caller holds the gate.</summary>
    private async Task WriteDurablyAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var position = _committedLength;
        try
        {
            _stream.Seek(position, SeekOrigin.Begin);
            await _stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            _stream.Flush(flushToDisk: true);
        }
        catch
        {
            _stream.SetLength(position);
            throw;
        }

        Volatile.Write(ref _committedLength, position + bytes.Length);
    }

    private async IAsyncEnumerable<AuditExportReader.Item> ReadItemsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Only complete, durable lines: an in-progress append is not visible until it completes.
        var length = Volatile.Read(ref _committedLength);
        var reader = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (reader.ConfigureAwait(false))
        {
            using var limited = new LimitedStream(reader, length);
            await foreach (var item in AuditExportReader.ReadAsync(limited, cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
    }

    private static async Task<(AuditChainHead? Head, AuditCheckpoint? Checkpoint, long ValidLength)> ScanAsync(FileStream stream, string ledgerId, CancellationToken cancellationToken)
    {
        stream.Seek(0, SeekOrigin.Begin);
        var lines = new LineReader(stream);
        AuditChainHead? head = null;
        AuditCheckpoint? checkpoint = null;
        var first = true;
        while (true)
        {
            while (lines.TryReadLine(out var line))
            {
                if (first)
                {
                    var header = AuditExportFormat.ParseHeaderLine(line);
                    if (header.LedgerId != ledgerId || header.FirstSequence != 1)
                    {
                        throw new FormatException($"'{stream.Name}' holds ledger '{header.LedgerId}' from {header.FirstSequence}, not '{ledgerId}' from 1.");
                    }

                    first = false;
                }
                else if (AuditExportFormat.TryParseEventLine(line, out var sequence, out _, out var hash, out _))
                {
                    head = new AuditChainHead(sequence, hash);
                }
                else
                {
                    checkpoint = AuditExportFormat.ParseCheckpointLine(line);
                }
            }

            if (!await lines.FillAsync(cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        if (first)
        {
            throw new FormatException($"'{stream.Name}' has no complete header line.");
        }

        return (head, checkpoint, lines.Position);
    }

    /// <summary>A read-only view of the first <c>length</c> bytes of a stream.</summary>
    private sealed class LimitedStream(Stream inner, long limit) : Stream
    {
        private readonly long _length = limit;
        private long _remaining = limit;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => _length;

        public override long Position
        {
            get => _length - _remaining;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            _remaining -= read;
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
            _remaining -= read;
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
