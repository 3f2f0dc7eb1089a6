using System.Diagnostics;

namespace Warden.Server.Gateway;

/// <summary>
/// How fast calls have been arriving lately: the count received over the last whole window of at least
/// <c>horizon</c>, updated whenever it is asked after such a window has passed. One client calling back to back has one
/// call waiting at a time, so the queue alone does not show that it makes thousands of calls a second; this does. After
/// a quiet spell the rate is low (the window spans the spell), so a lone call is not held back.
/// </summary>
/// <param name="horizon">The shortest window a rate is taken over.</param>
/// <remarks>Not thread-safe: one reader (the recorder's loop) asks it.</remarks>
public sealed class ArrivalRate(TimeSpan horizon)
{
    private readonly long _horizonTicks = (long)(horizon.TotalSeconds * Stopwatch.Frequency);
    private bool _started;
    private long _windowStart;
    private long _windowReceived;
    private double _rate;

    /// <summary>
    /// Calls per second over the last whole window, given <paramref name="received"/> calls received since start at
    /// <paramref name="now"/> (<see cref="Stopwatch"/> ticks). Zero until a first window has passed.
    /// </summary>
    public double Observe(long received, long now)
    {
        if (!_started)
        {
            _started = true;
            _windowStart = now;
            _windowReceived = received;
            return 0;
        }

        var elapsed = now - _windowStart;
        if (elapsed >= _horizonTicks && elapsed > 0)
        {
            _rate = (received - _windowReceived) * (double)Stopwatch.Frequency / elapsed;
            _windowStart = now;
            _windowReceived = received;
        }

        return _rate;
    }
}
