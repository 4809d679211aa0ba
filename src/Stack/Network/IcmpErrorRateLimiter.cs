using Netstack.Time;

namespace Netstack.Network;

/// <summary>A token bucket for ICMP errors, kept in nanoseconds of credit so it needs no floating point: each
/// error costs 1 s / rate, credit accrues with the clock up to burst × cost.</summary>
internal sealed class IcmpErrorRateLimiter
{
    private readonly IScheduler _clock;
    private readonly long _cost;
    private readonly long _capacity;
    private long _credit;
    private Instant _last;

    public IcmpErrorRateLimiter(IScheduler clock, IcmpOptions options)
    {
        _clock = clock;
        if (options.ErrorsPerSecond <= 0) return;
        _cost = Duration.NanosecondsPerSecond / options.ErrorsPerSecond;
        _capacity = _cost * Math.Max(1, options.ErrorBurst);
        _credit = _capacity;
        _last = clock.Now;
    }

    /// <summary>True (and one token spent) when an error may be sent now.</summary>
    public bool TryTake()
    {
        if (_cost == 0) return true;
        var now = _clock.Now;
        _credit = Math.Min(_capacity, _credit + (now.Nanoseconds - _last.Nanoseconds));
        _last = now;
        if (_credit < _cost) return false;
        _credit -= _cost;
        return true;
    }
}
