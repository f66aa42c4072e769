namespace Carevault.TestKit;

/// <summary>A clock a test moves by hand (token expiry, key rotation grace periods).</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    DateTimeOffset _now = start;

    public TestClock() : this(DateTimeOffset.UtcNow) { }

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
