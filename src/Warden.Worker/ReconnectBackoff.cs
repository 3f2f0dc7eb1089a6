namespace Warden.Worker;

/// <summary>
/// Exponential back-off with "full jitter" (a uniformly random delay up to the exponential cap), so a fleet of workers
/// that lost the server at the same moment does not come back at the same moment.
/// </summary>
public sealed class ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
{
    private readonly Random _random = random ?? Random.Shared;

    /// <summary>The delay before reconnection attempt <paramref name="attempt"/> (0 for the first retry).</summary>
    public TimeSpan Next(int attempt)
    {
        var cap = Math.Min(max.TotalMilliseconds, min.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
        // Never below the minimum: a server that is restarting should not be hammered.
        return TimeSpan.FromMilliseconds(min.TotalMilliseconds + (_random.NextDouble() * (cap - min.TotalMilliseconds)));
    }
}
