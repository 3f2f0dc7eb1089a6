using System.Collections.Concurrent;
using Warden.Data.Gateway;

namespace Warden.Server.Gateway;

/// <summary>
/// What each key has spent in its budget period, loaded once from the usage table and then kept current in memory
/// as calls complete, so the check before each call is a comparison. Monthly budgets start again on the first of
/// each month (UTC).
/// </summary>
public sealed class BudgetTracker(ModelUsageStore usage, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _spent = new(StringComparer.Ordinal);

    /// <summary>Micro-dollars the key has spent in its current period.</summary>
    public async ValueTask<long> SpentMicrosAsync(VirtualKeyIdentity key, CancellationToken cancellationToken)
    {
        var start = PeriodStart(key.BudgetPeriod);
        if (_spent.TryGetValue(key.Id, out var e) && e.PeriodStart == start)
        {
            return Interlocked.Read(ref e.Micros);
        }

        var loaded = await usage.SpentMicrosAsync(key.Id, start, cancellationToken).ConfigureAwait(false);
        var entry = _spent.AddOrUpdate(key.Id, _ => new Entry(start, loaded), (_, old) => old.PeriodStart == start ? old : new Entry(start, loaded));
        return Interlocked.Read(ref entry.Micros);
    }

    /// <summary>True when the key has a budget and has used it up.</summary>
    public async ValueTask<bool> IsExhaustedAsync(VirtualKeyIdentity key, CancellationToken cancellationToken) =>
        key.BudgetMicros is { } budget && await SpentMicrosAsync(key, cancellationToken).ConfigureAwait(false) >= budget;

    /// <summary>Adds a completed call's cost.</summary>
    public void Add(VirtualKeyIdentity key, long micros)
    {
        if (micros != 0 && _spent.TryGetValue(key.Id, out var e) && e.PeriodStart == PeriodStart(key.BudgetPeriod))
        {
            Interlocked.Add(ref e.Micros, micros);
        }
    }

    private DateTimeOffset? PeriodStart(string period)
    {
        if (period != "monthly")
        {
            return null;
        }

        var now = time.GetUtcNow();
        return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
    }

    private sealed class Entry(DateTimeOffset? periodStart, long micros)
    {
        public long Micros = micros;

        public DateTimeOffset? PeriodStart { get; } = periodStart;
    }
}
