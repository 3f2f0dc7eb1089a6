using System.Collections.Concurrent;

namespace Warden.Server.Gateway;

/// <summary>
/// Per-key request, token and concurrency limits, in memory on each replica. Requests and tokens are counted over a
/// sliding minute (the current and previous fixed windows, weighted), which is accurate to a few percent without
/// keeping a timestamp per request. Tokens are reserved from an estimate before the call and settled with the real
/// count after it.
/// </summary>
public sealed class KeyLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Counters> _keys = new(StringComparer.Ordinal);

    /// <summary>Why a request was refused, with the seconds after which a retry may succeed.</summary>
    public readonly record struct Refusal(string Reason, int RetryAfterSeconds);

    /// <summary>
    /// Admits a request that is expected to use <paramref name="estimatedTokens"/>, or says why not. An admitted
    /// request must be ended with <see cref="Release"/>.
    /// </summary>
    public Refusal? TryAcquire(string keyId, int? rpm, int? tpm, int? maxConcurrency, long estimatedTokens)
    {
        var c = _keys.GetOrAdd(keyId, _ => new Counters());
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (c)
        {
            c.Roll(now);
            if (maxConcurrency is { } max && c.InFlight >= max)
            {
                return new Refusal($"This key allows {max} concurrent request(s).", 1);
            }

            if (rpm is { } r && c.Estimate(c.RequestsNow, c.RequestsBefore, now) + 1 > r)
            {
                return new Refusal($"This key allows {r} request(s) per minute.", c.SecondsToNextWindow(now));
            }

            if (tpm is { } t && c.Estimate(c.TokensNow, c.TokensBefore, now) + Math.Min(estimatedTokens, t) > t)
            {
                return new Refusal($"This key allows {t} token(s) per minute.", c.SecondsToNextWindow(now));
            }

            c.InFlight++;
            c.RequestsNow++;
            c.TokensNow += estimatedTokens;
            return null;
        }
    }

    /// <summary>Ends an admitted request, replacing its token estimate with what it really used.</summary>
    public void Release(string keyId, long estimatedTokens, long actualTokens)
    {
        if (!_keys.TryGetValue(keyId, out var c))
        {
            return;
        }

        lock (c)
        {
            c.Roll(time.GetUtcNow().ToUnixTimeMilliseconds());
            c.InFlight = Math.Max(0, c.InFlight - 1);
            c.TokensNow = Math.Max(0, c.TokensNow + actualTokens - estimatedTokens);
        }
    }

    /// <summary>Requests of the key in flight now.</summary>
    public int InFlight(string keyId) => _keys.TryGetValue(keyId, out var c) ? c.InFlight : 0;

    private sealed class Counters
    {
        private const long Window = 60_000;
        private long _windowStart;

        public int InFlight;
        public long RequestsNow;
        public long RequestsBefore;
        public long TokensNow;
        public long TokensBefore;

        public void Roll(long now)
        {
            var start = now - (now % Window);
            if (start == _windowStart)
            {
                return;
            }

            var adjacent = start - _windowStart == Window;
            RequestsBefore = adjacent ? RequestsNow : 0;
            TokensBefore = adjacent ? TokensNow : 0;
            RequestsNow = 0;
            TokensNow = 0;
            _windowStart = start;
        }

        public double Estimate(long current, long previous, long now) => current + (previous * (1.0 - ((now - _windowStart) / (double)Window)));

        public int SecondsToNextWindow(long now) => (int)Math.Max(1, (_windowStart + Window - now + 999) / 1000);
    }
}
