using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>NewReno (<see cref="CongestionAlgorithm.NewReno"/>): slow start and congestion avoidance of RFC 5681
/// (byte counting, RFC 3465 with L = 1 SMSS), fast recovery of RFC 6582, and the recovery entry/exit rules SACK
/// recovery (RFC 6675) shares. <see cref="CubicController"/> replaces only congestion avoidance and the reduction
/// on loss.</summary>
internal class NewRenoController : CongestionState, ICongestionController
{
    private int _bytesAckedInCa;

    /// <summary>A window for segments of <paramref name="mss"/> bytes starting at
    /// <paramref name="initialWindowSegments"/> segments (0: RFC 5681's IW).</summary>
    public NewRenoController(int mss, int initialWindowSegments) : base(mss, initialWindowSegments) { }

    /// <inheritdoc />
    public bool UsesProportionalRateReduction => true;
    /// <inheritdoc />
    public DeliveryRateEstimator? DeliveryRate => null;
    /// <inheritdoc />
    public double PacingRate(Duration smoothedRtt) => 0;
    /// <inheritdoc />
    public bool Paces => false;

    /// <summary>cwnd below ssthresh: growth is exponential (RFC 5681 §3.1).</summary>
    private bool InSlowStart => Cwnd < Ssthresh;

    /// <inheritdoc />
    public void OnNewAck(int bytesAcked, Instant now, Duration smoothedRtt)
    {
        if (InSlowStart)
        {
            // RFC 3465 limit L = 1 SMSS per ACK.
            Cwnd += Math.Min(bytesAcked, Mss);
            return;
        }
        Cwnd = CongestionAvoidance(bytesAcked, now, smoothedRtt);
    }

    /// <summary>The window after an ACK of <paramref name="bytesAcked"/> in congestion avoidance: one SMSS per RTT,
    /// counted in acknowledged bytes.</summary>
    protected virtual int CongestionAvoidance(int bytesAcked, Instant now, Duration smoothedRtt)
    {
        _bytesAckedInCa += bytesAcked;
        if (_bytesAckedInCa < Cwnd) return Cwnd;
        _bytesAckedInCa -= Cwnd;
        return Cwnd + Mss;
    }

    /// <summary>The slow-start threshold after a congestion event: half the flight (RFC 5681 eq. 4).</summary>
    protected virtual int ReducedThreshold(int flightSize) => Math.Max(flightSize / 2, 2 * Mss);

    /// <inheritdoc />
    public void EnterRecovery(int flightSize, SequenceNumber highestSent, bool inflateForDupAcks)
    {
        Ssthresh = ReducedThreshold(flightSize);
        Cwnd = inflateForDupAcks ? Ssthresh + 3 * Mss : Ssthresh;
        BeginRecovery(highestSent);
        _bytesAckedInCa = 0;
    }

    /// <inheritdoc />
    public void OnDuplicateAckInRecovery() => Cwnd += Mss;

    /// <summary>RFC 6582 (3.2) step 5, partial ACK: deflate by the newly acknowledged data, add back one SMSS if at
    /// least one SMSS was acknowledged.</summary>
    public void OnPartialAck(int bytesAcked)
    {
        Cwnd = Math.Max(Cwnd - bytesAcked, Mss);
        if (bytesAcked >= Mss) Cwnd += Mss;
    }

    /// <summary>RFC 6582 (3.2) step 5, full ACK: deflate to min(ssthresh, FlightSize + SMSS).</summary>
    public void ExitRecovery(int flightSize)
    {
        Cwnd = Math.Min(Ssthresh, Math.Max(flightSize, Mss) + Mss);
        InRecovery = false;
    }

    /// <summary>NewReno reads no loss count beyond the events themselves.</summary>
    public void OnBytesLost(int bytes) { }

    /// <summary>Never called: NewReno has no <see cref="DeliveryRate"/> sampler.</summary>
    public void OnDeliveryRateSample(int bytesInFlight, bool inLossRecovery, Instant now) { }

    /// <inheritdoc />
    public void OnRetransmissionTimeout(int flightSize)
    {
        Ssthresh = ReducedThreshold(flightSize);
        CollapseToLossWindow();
        _bytesAckedInCa = 0;
    }

    /// <inheritdoc />
    public override void Restore(int cwnd, int ssthresh)
    {
        base.Restore(cwnd, ssthresh);
        _bytesAckedInCa = 0;
    }
}
