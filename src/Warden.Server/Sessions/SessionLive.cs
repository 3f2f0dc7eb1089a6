using System.Collections.Concurrent;

namespace Warden.Server.Sessions;

/// <summary>
/// In-memory change signals and streamed tool output per session, for live views (Server-Sent Events) and for the
/// runner waiting on approvals and sub-agents. Durable state is in the store; this only says "look again" and holds
/// the last stretch of output of calls still running (the full result is stored when the call ends).
/// </summary>
public sealed class SessionLive
{
    private const int MaxChunks = 400;
    private readonly ConcurrentDictionary<string, Channel> _channels = new(StringComparer.Ordinal);

    /// <summary>A piece of a running tool call's output.</summary>
    /// <param name="Seq">Its position among the session's chunks.</param>
    /// <param name="CallId">The tool call.</param>
    /// <param name="Stream"><c>stdout</c> or <c>stderr</c>.</param>
    /// <param name="Text">The text.</param>
    public sealed record OutputChunk(long Seq, string CallId, string Stream, string Text);

    /// <summary>Something about the session changed.</summary>
    public void Touch(string sessionId)
    {
        if (_channels.TryGetValue(sessionId, out var channel))
        {
            channel.Signal();
        }
    }

    /// <summary>Adds a chunk of output and wakes the watchers.</summary>
    public void Output(string sessionId, string callId, string stream, string text)
    {
        var channel = _channels.GetOrAdd(sessionId, _ => new Channel());
        lock (channel)
        {
            channel.Chunks.Enqueue(new OutputChunk(++channel.LastChunk, callId, stream, text));
            while (channel.Chunks.Count > MaxChunks)
            {
                channel.Chunks.Dequeue();
            }
        }

        channel.Signal();
    }

    /// <summary>Output chunks after <paramref name="afterSeq"/> still held.</summary>
    public IReadOnlyList<OutputChunk> OutputSince(string sessionId, long afterSeq)
    {
        if (!_channels.TryGetValue(sessionId, out var channel))
        {
            return [];
        }

        lock (channel)
        {
            return channel.Chunks.Where(c => c.Seq > afterSeq).ToList();
        }
    }

    /// <summary>A task that completes at the next change of the session (take it before looking, then await it).</summary>
    public Task NextChangeAsync(string sessionId) => _channels.GetOrAdd(sessionId, _ => new Channel()).Next;

    /// <summary>Forgets a session that ended (after its watchers had a last look).</summary>
    public void Forget(string sessionId)
    {
        if (_channels.TryRemove(sessionId, out var channel))
        {
            channel.Signal();
        }
    }

    private sealed class Channel
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Queue<OutputChunk> Chunks { get; } = new();

        public long LastChunk { get; set; }

        public Task Next => Volatile.Read(ref _next).Task;

        public void Signal() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
