using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>The retransmission timeout of RFC 6298: SRTT and RTTVAR from round-trip samples, RTO bounded
/// below by a configurable minimum and above by a maximum, doubled on each timeout (backoff). The backoff is
/// kept apart from the estimate so that it can be dropped again (<see cref="ResetBackoff"/>) without a sample.</summary>
public sealed class RtoEstimator
{
    /// <summary>Clock granularity G of RFC 6298 (2.2): the stack's timestamp clock ticks in milliseconds.</summary>
    private static readonly Duration Granularity = Duration.FromMilliseconds(1);
    /// <summary>SRTT and RTTVAR are kept in units of 100 ns, each fraction rounded half to even: the resolution the
    /// estimator has always had, which the timing of every recorded retransmission and probe depends on.</summary>
    private static readonly Duration Resolution = Duration.FromNanoseconds(Duration.NanosecondsPerTick);
    private readonly Duration _min;
    private readonly Duration _max;

    /// <summary>An estimator whose RTO starts at <paramref name="initial"/> and stays within [<paramref name="min"/>,
    /// <paramref name="max"/>].</summary>
    public RtoEstimator(Duration initial, Duration min, Duration max)
    {
        _min = min;
        _max = max;
        _estimate = Clamp(initial);
        Rto = _estimate;
    }

    private Duration _estimate;
    private int _backoffs;

    /// <summary>The timeout to arm now: the estimate doubled once per backoff, within the bounds.</summary>
    public Duration Rto { get; private set; }
    /// <summary>SRTT (RFC 6298 §2); zero before the first sample.</summary>
    public Duration SmoothedRtt { get; private set; }
    /// <summary>RTTVAR (RFC 6298 §2); zero before the first sample.</summary>
    public Duration RttVariance { get; private set; }
    /// <summary>At least one round-trip sample has been taken (RFC 6298 (2.2) has happened).</summary>
    public bool HasSample { get; private set; }

    /// <summary>RFC 6298 (2.2) and (2.3): fold in one measurement.</summary>
    public void AddSample(Duration r)
    {
        if (r < Duration.Zero) return;
        r = Resolution * (r.Nanoseconds / Resolution.Nanoseconds);
        if (!HasSample)
        {
            SmoothedRtt = r;
            RttVariance = Fraction(r, 1, 2);
            HasSample = true;
        }
        else
        {
            var delta = SmoothedRtt - r;
            if (delta < Duration.Zero) delta = -delta;
            RttVariance = Fraction(RttVariance, 3, 4) + Fraction(delta, 1, 4);
            SmoothedRtt = Fraction(SmoothedRtt, 7, 8) + Fraction(r, 1, 8);
        }
        var k = RttVariance * 4;
        _estimate = Clamp(SmoothedRtt + (k > Granularity ? k : Granularity));
        // A valid sample ends the backoff (RFC 6298 (5.7) note: the RTO is computed afresh from it).
        _backoffs = 0;
        Rto = _estimate;
    }

    /// <summary>RFC 6298 (5.5): double the RTO, up to the maximum.</summary>
    public void Backoff()
    {
        if (Rto >= _max) return;
        _backoffs++;
        Rto = Clamp(Rto * 2);
    }

    /// <summary>Back to the estimate without a new sample: an ACK of new data shows the path delivers again.</summary>
    public void ResetBackoff()
    {
        _backoffs = 0;
        Rto = _estimate;
    }

    /// <summary>Timeouts since the last sample or reset.</summary>
    public int Backoffs => _backoffs;

    /// <summary><paramref name="d"/> × <paramref name="numerator"/> / <paramref name="denominator"/> in whole
    /// <see cref="Resolution"/> units, rounded half to even.</summary>
    private static Duration Fraction(Duration d, long numerator, long denominator)
    {
        // In integers (this runs four times per ACK): the quotient, up by one past the half and at an odd half.
        long x = d.Nanoseconds / Resolution.Nanoseconds * numerator;
        long magnitude = Math.Abs(x), q = magnitude / denominator, twice = 2 * (magnitude - q * denominator);
        if (twice > denominator || (twice == denominator && (q & 1) != 0)) q++;
        return Resolution * (x < 0 ? -q : q);
    }

    private Duration Clamp(Duration t) => t < _min ? _min : t > _max ? _max : t;
}
