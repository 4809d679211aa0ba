using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>CUBIC (<see cref="CongestionAlgorithm.Cubic"/>, RFC 9438): congestion avoidance follows
/// <see cref="CubicWindow"/>'s cubic and the reduction on loss is β = 0.7 of the flight; slow start and fast
/// recovery stay NewReno's, as §4.8-4.9 keep them.</summary>
internal sealed class CubicController : NewRenoController
{
    private readonly CubicWindow _cubic = new();
    /// <summary>CUBIC's window in segments, kept fractional between ACKs.</summary>
    private double _cubicCwnd;

    /// <summary>A window for segments of <paramref name="mss"/> bytes starting at
    /// <paramref name="initialWindowSegments"/> segments (0: RFC 5681's IW).</summary>
    public CubicController(int mss, int initialWindowSegments) : base(mss, initialWindowSegments) { }

    /// <summary>RFC 9438 §4.2-4.5, from the time <paramref name="now"/> and the smoothed RTT.</summary>
    protected override int CongestionAvoidance(int bytesAcked, Instant now, Duration smoothedRtt)
    {
        // The fractional window carries over between ACKs unless something else (recovery exit) moved cwnd.
        double current = Math.Abs(_cubicCwnd * Mss - Cwnd) < Mss ? _cubicCwnd : (double)Cwnd / Mss;
        _cubicCwnd = _cubic.OnAck(current, now.TotalSeconds, smoothedRtt.TotalSeconds, (double)bytesAcked / Mss);
        return Math.Max(Cwnd, (int)(_cubicCwnd * Mss));
    }

    /// <summary>β times the flight, remembering the window as W_max (RFC 9438 §4.6, which allows FlightSize for
    /// cwnd as RFC 5681 uses it): an application-limited sender does not keep a window it never filled.</summary>
    protected override int ReducedThreshold(int flightSize)
    {
        double segments = _cubic.OnCongestionEvent((double)flightSize / Mss);
        _cubicCwnd = segments;
        return Math.Max((int)(segments * Mss), 2 * Mss);
    }
}
