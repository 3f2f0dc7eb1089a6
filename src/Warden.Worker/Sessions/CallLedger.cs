using System.Collections.Concurrent;
using Warden.Protocol;

namespace Warden.Worker.Sessions;

/// <summary>
/// A session's record of tool calls by id, the at-most-once guarantee: the first request for a call id runs it, every
/// later one (a retry after a reconnect) gets the same result, awaiting the first run if it is still going.
/// </summary>
public sealed class CallLedger
{
    private readonly ConcurrentDictionary<string, Task<ToolResult>> _calls = new(StringComparer.Ordinal);

    /// <summary>Calls recorded so far.</summary>
    public int Count => _calls.Count;

    /// <summary>True when <paramref name="callId"/> has been run (or is running).</summary>
    public bool Contains(string callId) => _calls.ContainsKey(callId);

    /// <summary>
    /// Runs <paramref name="run"/> if <paramref name="callId"/> is new, else returns the recorded result.
    /// <c>Replayed</c> is true when this request did not run the call itself.
    /// </summary>
    public async Task<(ToolResult Result, bool Replayed)> RunOnceAsync(string callId, Func<Task<ToolResult>> run)
    {
        var mine = new TaskCompletionSource<ToolResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stored = _calls.GetOrAdd(callId, mine.Task);
        if (!ReferenceEquals(stored, mine.Task))
        {
            return (await stored.ConfigureAwait(false), true);
        }

        try
        {
            mine.SetResult(await run().ConfigureAwait(false));
        }
        catch (Exception e)
        {
            mine.SetException(e);
        }

        return (await mine.Task.ConfigureAwait(false), false);
    }
}
