using System.Runtime.CompilerServices;

namespace Warden.Audit.Storage;

/// <summary>
/// A thread-safe in-memory store for tests and tooling. Also lets tests tamper with stored data
/// (<see cref="Tamper"/>) and inject failures (<see cref="FailNextAppends"/>).
/// </summary>
public sealed class InMemoryAuditLedgerStore : IAuditLedgerStore, IAuditQueryStore
{
    private readonly Lock _lock = new();
    private readonly List<AuditEvent> _events = [];
    private readonly List<AuditCheckpoint> _checkpoints = [];
    private int _failNext;
    private Exception? _failure;

    /// <summary>Number of stored events.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>Number of successful <see cref="AppendAsync"/> calls (batches).</summary>
    public int AppendCalls { get; private set; }

    /// <summary>Makes the next <paramref name="count"/> appends throw <paramref name="failure"/> without storing anything.</summary>
    public void FailNextAppends(int count, Exception? failure = null)
    {
        lock (_lock)
        {
            _failNext = count;
            _failure = failure;
        }
    }

    /// <summary>A snapshot of the stored events.</summary>
    public IReadOnlyList<AuditEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>A snapshot of the stored checkpoints.</summary>
    public IReadOnlyList<AuditCheckpoint> Checkpoints
    {
        get
        {
            lock (_lock)
            {
                return _checkpoints.ToArray();
            }
        }
    }

    /// <summary>Test hook: replaces the stored events wholesale (to simulate tampering).</summary>
    public void Tamper(Func<List<AuditEvent>, List<AuditEvent>> mutate)
    {
        ArgumentNullException.ThrowIfNull(mutate);
        lock (_lock)
        {
            var replaced = mutate([.. _events]);
            _events.Clear();
            _events.AddRange(replaced);
        }
    }

    /// <inheritdoc />
    public ValueTask<AuditChainHead?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_events.Count == 0 ? null : new AuditChainHead(_events[^1].Sequence, _events[^1].Hash));
        }
    }

    /// <inheritdoc />
    public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one event.", nameof(events));
        }

        lock (_lock)
        {
            if (_failNext > 0)
            {
                _failNext--;
                return ValueTask.FromException(_failure ?? new IOException("Injected store failure."));
            }

            var expected = _events.Count == 0 ? 1 : _events[^1].Sequence + 1;
            if (events[0].Sequence != expected || (_events.Count > 0 && events[0].PreviousHash != _events[^1].Hash))
            {
                return ValueTask.FromException(new AuditStoreConflictException(
                    $"Batch starting at {events[0].Sequence} does not continue the chain (expected {expected})."));
            }

            _events.AddRange(events);
            AppendCalls++;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditEvent> ReadEventsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Yield in chunks so a long read does not hold the lock and appends proceed meanwhile. Walk by index,
        // not by sequence, so tampered (reordered, duplicated) data is returned as stored.
        const int Chunk = 4096;
        int index;
        lock (_lock)
        {
            index = LowerBound(fromSequence);
        }

        while (true)
        {
            AuditEvent[] chunk;
            lock (_lock)
            {
                var count = 0;
                while (index + count < _events.Count && count < Chunk && _events[index + count].Sequence <= toSequence)
                {
                    count++;
                }

                chunk = _events.GetRange(index, count).ToArray();
            }

            if (chunk.Length == 0)
            {
                yield break;
            }

            foreach (var e in chunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return e;
            }

            index += chunk.Length;
            await Task.Yield();
        }
    }

    /// <inheritdoc />
    public ValueTask AppendCheckpointAsync(AuditCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        lock (_lock)
        {
            var last = _checkpoints.Count == 0 ? 0 : _checkpoints[^1].ToSequence;
            if (checkpoint.FromSequence != last + 1)
            {
                return ValueTask.FromException(new AuditStoreConflictException(
                    $"The checkpoint starts at {checkpoint.FromSequence} but the last stored checkpoint ends at {last}."));
            }

            _checkpoints.Add(checkpoint);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<AuditCheckpoint?> GetLastCheckpointAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_checkpoints.Count == 0 ? null : _checkpoints[^1]);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditCheckpoint> ReadCheckpointsAsync(long fromSequence, long toSequence, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        AuditCheckpoint[] snapshot;
        lock (_lock)
        {
            snapshot = _checkpoints.Where(c => c.ToSequence >= fromSequence && c.ToSequence <= toSequence).ToArray();
        }

        foreach (var checkpoint in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return checkpoint;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<AuditEvent> QueryAsync(AuditQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        AuditQueryMatcher.Validate(query);
        AuditEvent[] matches;
        lock (_lock)
        {
            var ordered = query.Descending ? Enumerable.Reverse(_events) : _events;
            matches = ordered.Where(e => AuditQueryMatcher.Matches(query, e)).Take(query.Limit).ToArray();
        }

        foreach (var e in matches)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return e;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    // Sequences are normally index + 1, but tampering can break that; fall back to a scan then.
    private int LowerBound(long sequence)
    {
        var guess = (int)Math.Clamp(sequence - 1, 0, _events.Count);
        if (guess < _events.Count && _events[guess].Sequence == sequence && (guess == 0 || _events[guess - 1].Sequence < sequence))
        {
            return guess;
        }

        var index = _events.FindIndex(e => e.Sequence >= sequence);
        return index < 0 ? _events.Count : index;
    }
}
