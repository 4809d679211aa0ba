using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>BBR (<see cref="CongestionAlgorithm.Bbr"/>): the window and the pacing rate come from
/// <see cref="BbrModel"/>, fed one delivery-rate sample per ACK; loss-based rules leave the window alone (ssthresh
/// stays, recovery only opens and closes the episode the model watches), and PRR gives way to the model's packet
/// conservation.</summary>
internal sealed class BbrController : CongestionState, ICongestionController
{
    private readonly DeliveryRateEstimator _rate = new();
    /// <summary>Bytes the ACK being processed marked lost, or the segment a fast retransmit resends.</summary>
    private int _lostThisAck;

    /// <summary>A window for segments of <paramref name="mss"/> bytes starting at
    /// <paramref name="initialWindowSegments"/> segments (0: RFC 5681's IW); the model draws ProbeBW's first phase
    /// from <paramref name="random"/> and starts its RTprop clock at <paramref name="now"/>.</summary>
    public BbrController(int mss, int initialWindowSegments, IRandomSource random, Instant now)
        : base(mss, initialWindowSegments)
    {
        Model = new BbrModel(mss, Cwnd, _rate, random, now);
    }

    /// <summary>The model of the path, for tests and reports.</summary>
    public BbrModel Model { get; }

    /// <inheritdoc />
    public bool UsesProportionalRateReduction => false;
    /// <inheritdoc />
    public DeliveryRateEstimator? DeliveryRate => _rate;

    /// <inheritdoc />
    public bool Paces => true;

    /// <summary>The model's pacing rate; the first call sets it from the handshake's RTT sample (none: the model's
    /// default).</summary>
    public double PacingRate(Duration smoothedRtt)
    {
        if (Model.PacingRate <= 0) Model.InitPacingRate(smoothedRtt);
        return Model.PacingRate;
    }

    /// <summary>The model sets the window at the end of the ACK (<see cref="OnDeliveryRateSample"/>).</summary>
    public void OnNewAck(int bytesAcked, Instant now, Duration smoothedRtt) { }

    /// <summary>BBR keeps ssthresh; its model sets the window at the end of this ACK.</summary>
    public void EnterRecovery(int flightSize, SequenceNumber highestSent, bool inflateForDupAcks) =>
        BeginRecovery(highestSent);

    /// <summary>No inflation: the model's packet conservation counts deliveries.</summary>
    public void OnDuplicateAckInRecovery() { }

    /// <summary>No deflation: the model sets the window at the end of the ACK.</summary>
    public void OnPartialAck(int bytesAcked) { }

    /// <summary>The episode ends; the model restores its saved window at the end of the ACK.</summary>
    public void ExitRecovery(int flightSize) => InRecovery = false;

    /// <inheritdoc />
    public void OnBytesLost(int bytes) => _lostThisAck += bytes;

    /// <summary>End of an ACK: the rate sample, then the model's new window (at least one segment) and pacing
    /// rate.</summary>
    public void OnDeliveryRateSample(int bytesInFlight, bool inLossRecovery, Instant now)
    {
        // Before the first RTT sample no interval is too short to count.
        var minRtt = Model.HasRtProp ? Model.RtProp : Duration.Zero;
        var rs = _rate.Generate(minRtt);
        int acked = (int)Math.Min(int.MaxValue, _rate.DeliveredThisAck);
        int cwnd = Model.OnAck(rs, Cwnd, bytesInFlight, acked, _lostThisAck, inLossRecovery, now);
        _lostThisAck = 0;
        Cwnd = Math.Max(cwnd, Mss);
    }

    /// <summary>The model saves the window to restore after the recovery, then the window becomes one segment;
    /// ssthresh stays.</summary>
    public void OnRetransmissionTimeout(int flightSize)
    {
        Model.OnRetransmissionTimeout(Cwnd);
        CollapseToLossWindow();
    }
}
