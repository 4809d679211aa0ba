namespace Netstack.Transport.Tcp;

/// <summary>The congestion-avoidance window of CUBIC (RFC 9438): after a loss the window grows along the cubic
/// W_cubic(t) = C (t - K)^3 + W_max, concave up to the window where the loss happened and convex beyond it,
/// but never slower than Reno would (the Reno-friendly estimate W_est, §4.3). Windows in segments, time in
/// seconds, as the RFC writes them; <see cref="CubicController"/> turns the result into bytes.</summary>
public sealed class CubicWindow
{
    /// <summary>RFC 9438 §5: C = 0.4, β_cubic = 0.7.</summary>
    public const double C = 0.4;
    /// <summary>Multiplicative decrease factor β_cubic: the window kept after a congestion event.</summary>
    public const double Beta = 0.7;
    /// <summary>§4.3: α_cubic = 3 (1 - β) / (1 + β), so W_est grows like Reno's average window.</summary>
    private const double Alpha = 3 * (1 - Beta) / (1 + Beta);

    private double _wMax;
    private double _k;
    private double _wEst;
    private double _epochStartSeconds = double.NaN;

    /// <summary>The window (segments) at the last congestion event.</summary>
    public double WMax => _wMax;
    /// <summary>K (seconds): time the cubic takes to climb back to W_max after the last congestion event (RFC 9438
    /// §4.2).</summary>
    public double K => _k;

    /// <summary>§4.6/4.7: a congestion event at window <paramref name="cwndSegments"/>; fast convergence lowers
    /// W_max when the window had not regained the last one. Returns the new ssthresh in segments.</summary>
    public double OnCongestionEvent(double cwndSegments)
    {
        _wMax = cwndSegments < _wMax ? cwndSegments * (1 + Beta) / 2 : cwndSegments;
        _epochStartSeconds = double.NaN;
        return Math.Max(cwndSegments * Beta, 2);
    }

    /// <summary>§4.2: W_cubic at <paramref name="t"/> seconds into the epoch.</summary>
    public double Cubic(double t) => C * Math.Pow(t - _k, 3) + _wMax;

    /// <summary>One ACK in congestion avoidance: the new window in segments, from the current one, the time now
    /// (seconds), the smoothed RTT (seconds) and the segments this ACK acknowledged.</summary>
    public double OnAck(double cwndSegments, double nowSeconds, double rttSeconds, double segmentsAcked)
    {
        if (double.IsNaN(_epochStartSeconds))
        {
            // §4.2: the epoch starts at the first ACK of congestion avoidance; K from W_max and where we are.
            _epochStartSeconds = nowSeconds;
            if (_wMax < cwndSegments) _wMax = cwndSegments;
            _k = Math.Cbrt((_wMax - cwndSegments) / C);
            _wEst = cwndSegments;
        }
        double t = nowSeconds - _epochStartSeconds;
        _wEst += Alpha * segmentsAcked / cwndSegments;
        // §4.4/4.5: aim for W_cubic one RTT ahead, no more than 1.5 times the window.
        double target = Math.Clamp(Cubic(t + rttSeconds), cwndSegments, 1.5 * cwndSegments);
        double next = cwndSegments + (target - cwndSegments) / cwndSegments * segmentsAcked;
        // §4.3: in the Reno-friendly region, follow Reno's estimate.
        return Math.Max(next, _wEst);
    }
}
