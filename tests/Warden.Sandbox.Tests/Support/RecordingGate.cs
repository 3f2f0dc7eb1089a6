using System.Collections.Concurrent;
using Warden.Sandbox.Egress;

namespace Warden.Sandbox.Tests.Support;

/// <summary>An egress gate that allows what a predicate says and records every decision and attempt.</summary>
public sealed class RecordingGate(Func<EgressRequest, bool> allow) : IEgressGate
{
    private readonly ConcurrentQueue<EgressAttempt> _attempts = new();

    public ConcurrentQueue<EgressRequest> Requests { get; } = new();

    public IReadOnlyCollection<EgressAttempt> Attempts => _attempts;

    public ValueTask<bool> DecideAsync(EgressRequest request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        return ValueTask.FromResult(allow(request));
    }

    public void OnAttempt(EgressAttempt attempt) => _attempts.Enqueue(attempt);

    /// <summary>Waits (with a deadline) until an attempt matching the predicate was recorded.</summary>
    public async Task<EgressAttempt> WaitForAttemptAsync(Func<EgressAttempt, bool> match, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < until)
        {
            var found = _attempts.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            await Task.Delay(10);
        }

        throw new TimeoutException("No matching egress attempt was recorded. Seen: " + string.Join("; ", _attempts.Select(a => $"{a.Request?.Host}:{a.Request?.Port} {a.Allowed} {a.Reason}")));
    }
}
