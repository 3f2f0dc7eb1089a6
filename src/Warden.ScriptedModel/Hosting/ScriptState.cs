namespace Warden.ScriptedModel.Hosting;

/// <summary>
/// The server's mutable state, shared by the request handlers and the test-facing API: the turn queue, the request
/// log and its waiters, and the in-flight counters.
/// </summary>
internal sealed class ScriptState
{
    private readonly Lock _turnsLock = new();
    private readonly LinkedList<ScriptedTurn> _turns = new();
    private readonly Lock _requestsLock = new();
    private readonly List<ReceivedRequest> _requests = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private int _requestCount;
    private int _activeStreams;
    private int _activeRequests;
    private long _sequence;

    /// <summary>Streaming responses in progress (including ones still waiting for their first byte, or hanging).</summary>
    public int ActiveStreams => Volatile.Read(ref _activeStreams);

    /// <summary>Requests in progress.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Requests received since start or the last <see cref="ClearRequests"/>.</summary>
    public int RequestCount
    {
        get
        {
            lock (_requestsLock)
            {
                return _requestCount;
            }
        }
    }

    /// <summary>Turns still queued.</summary>
    public int PendingTurns
    {
        get
        {
            lock (_turnsLock)
            {
                return _turns.Count;
            }
        }
    }

    /// <summary>A number unique within this server.</summary>
    public long NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>Adds turns at the end of the queue.</summary>
    public void Enqueue(IEnumerable<ScriptedTurn> turns)
    {
        lock (_turnsLock)
        {
            foreach (var turn in turns)
            {
                _turns.AddLast(turn);
            }
        }
    }

    /// <summary>Drops every queued turn.</summary>
    public void ClearTurns()
    {
        lock (_turnsLock)
        {
            _turns.Clear();
        }
    }

    /// <summary>
    /// Removes and returns the first queued turn that applies to a request, or null. A turn applies when its
    /// <see cref="ScriptedTurn.Format"/> equals the request's (or, when unset, the request is a generation), its
    /// <see cref="ScriptedTurn.Model"/> (when set) equals the request's model, and its <see cref="ScriptedTurn.Match"/>
    /// (when set) accepts the request.
    /// </summary>
    public ScriptedTurn? Take(WireFormat format, bool generation, string? model, Func<ReceivedRequest> request)
    {
        lock (_turnsLock)
        {
            for (var node = _turns.First; node is not null; node = node.Next)
            {
                var turn = node.Value;
                if ((turn.Format is { } wanted ? wanted != format : !generation)
                    || (turn.Model is not null && !string.Equals(turn.Model, model, StringComparison.Ordinal))
                    || (turn.Match is not null && !turn.Match(request())))
                {
                    continue;
                }

                _turns.Remove(node);
                return turn;
            }
        }

        return null;
    }

    /// <summary>Counts a request, keeps it when given, and wakes waiters whose count is reached.</summary>
    public void Record(ReceivedRequest? request)
    {
        List<TaskCompletionSource>? reached = null;
        lock (_requestsLock)
        {
            if (request is not null)
            {
                _requests.Add(request);
            }

            _requestCount++;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_requestCount >= _waiters[i].Count)
                {
                    (reached ??= []).Add(_waiters[i].Reached);
                    _waiters.RemoveAt(i);
                }
            }
        }

        // Completed outside the lock: continuations run asynchronously anyway, but this keeps the lock short.
        reached?.ForEach(static r => r.TrySetResult());
    }

    /// <summary>A copy of the kept requests, oldest first.</summary>
    public IReadOnlyList<ReceivedRequest> Snapshot()
    {
        lock (_requestsLock)
        {
            return [.. _requests];
        }
    }

    /// <summary>Forgets the kept requests and resets the count.</summary>
    public void ClearRequests()
    {
        lock (_requestsLock)
        {
            _requests.Clear();
            _requestCount = 0;
        }
    }

    /// <summary>Waits until <paramref name="count"/> requests have been received, or throws <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForRequestsAsync(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        TaskCompletionSource reached;
        lock (_requestsLock)
        {
            if (_requestCount >= count)
            {
                return [.. _requests];
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
        }

        try
        {
            await reached.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_requestsLock)
            {
                _waiters.RemoveAll(w => w.Reached == reached);
                throw new TimeoutException($"Waited {timeout.TotalSeconds:0.###} s for {count} request(s) to the scripted model server; {_requestCount} arrived.");
            }
        }

        return Snapshot();
    }

    /// <summary>Counts a request in progress until the returned scope is disposed.</summary>
    public ActiveScope Begin(bool stream)
    {
        Interlocked.Increment(ref _activeRequests);
        if (stream)
        {
            Interlocked.Increment(ref _activeStreams);
        }

        return new ActiveScope(this, stream);
    }

    /// <summary>Ends an in-progress count started by <see cref="Begin"/>.</summary>
    public void End(bool stream)
    {
        if (stream)
        {
            Interlocked.Decrement(ref _activeStreams);
        }

        Interlocked.Decrement(ref _activeRequests);
    }
}
