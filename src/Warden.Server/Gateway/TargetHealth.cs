using System.Collections.Concurrent;

namespace Warden.Server.Gateway;

/// <summary>
/// Health per route target (org, provider, model): after <see cref="FailureThreshold"/> consecutive failures a target
/// cools down for <see cref="CoolDown"/> and is tried only when nothing healthy is left; one success makes it healthy
/// again. Per replica and in memory: health is a routing hint, not a record.
/// </summary>
public sealed class TargetHealth(TimeProvider time)
{
    /// <summary>Consecutive failures that start a cool-down.</summary>
    public const int FailureThreshold = 3;

    /// <summary>How long a failing target is avoided.</summary>
    public static readonly TimeSpan CoolDown = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<(string Org, string Provider, string Model), State> _states = new();

    /// <summary>True unless the target is cooling down.</summary>
    public bool IsHealthy(string orgId, string provider, string model) =>
        !_states.TryGetValue((orgId, provider, model), out var s) || s.CoolingUntil is not { } until || until <= time.GetUtcNow();

    /// <summary>Records a success: the target is healthy.</summary>
    public void Success(string orgId, string provider, string model)
    {
        if (_states.TryGetValue((orgId, provider, model), out var s))
        {
            lock (s)
            {
                s.Failures = 0;
                s.CoolingUntil = null;
            }
        }
    }

    /// <summary>Records a failure (error status, timeout, reset, garbage) with a short reason for operators.</summary>
    public void Failure(string orgId, string provider, string model, string reason)
    {
        var s = _states.GetOrAdd((orgId, provider, model), _ => new State());
        lock (s)
        {
            s.Failures++;
            s.LastError = reason;
            if (s.Failures >= FailureThreshold)
            {
                s.CoolingUntil = time.GetUtcNow() + CoolDown;
            }
        }
    }

    /// <summary>A snapshot for the API and web pages.</summary>
    public (string State, int Failures, DateTimeOffset? CoolingUntil, string? LastError) Describe(string orgId, string provider, string model)
    {
        if (!_states.TryGetValue((orgId, provider, model), out var s))
        {
            return ("healthy", 0, null, null);
        }

        lock (s)
        {
            var cooling = s.CoolingUntil is { } until && until > time.GetUtcNow();
            return (cooling ? "cooling-down" : s.Failures > 0 ? "degraded" : "healthy", s.Failures, cooling ? s.CoolingUntil : null, s.LastError);
        }
    }

    private sealed class State
    {
        public int Failures;
        public DateTimeOffset? CoolingUntil;
        public string? LastError;
    }
}
