namespace Warden.Testing;

/// <summary>A clock that moves only when a test says so.</summary>
public sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    /// <summary>A clock at a fixed, recent instant.</summary>
    public FakeTime() : this(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;

    /// <summary>Moves the clock forward.</summary>
    public void Advance(TimeSpan by) => _now += by;
}
