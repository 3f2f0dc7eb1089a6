using System.Diagnostics.Tracing;
using System.Globalization;

namespace Warden.Benchmarks;

/// <summary>
/// The runtime's allocation samples (the GC's <c>AllocationTick</c> event, one about every 100 KB allocated, naming
/// the type that crossed it), summed by type: which types a phase's garbage is made of, to find what to stop
/// allocating. Listening costs little, but it is on only when asked for (<c>--alloc-types FILE</c>).
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            // AllocationTick is a verbose event of the GC keyword.
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names)
        {
            return;
        }

        var type = names.IndexOf("TypeName") is var t and >= 0 ? payload[t]?.ToString() ?? "?" : "?";
        var amount = names.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(payload[a], CultureInfo.InvariantCulture) : 100_000;
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }

    /// <summary>The sampled bytes by type since the last call (the top <paramref name="top"/>), as text lines; starts over.</summary>
    public string Take(string title, int top = 40)
    {
        lock (_bytes)
        {
            var total = Math.Max(1, _bytes.Values.Sum());
            var lines = _bytes.OrderByDescending(kv => kv.Value).Take(top)
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Value / 1024,10:N0} KiB {100.0 * kv.Value / total,5:0.0} %  {kv.Key}")).ToList();
            _bytes.Clear();
            return $"# {title}: {total / 1024:N0} KiB sampled\n{string.Join("\n", lines)}\n";
        }
    }
}
