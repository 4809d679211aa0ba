using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>A congestion-control algorithm as the connection drives it (the part Linux's tcp_congestion_ops or
/// smoltcp's congestion module leaves to the algorithm): the events TCP has, the window and threshold they move
/// (<see cref="CongestionState"/>), and what a rate-based algorithm adds, a delivery-rate sampler to feed and a
/// pacing rate. The connection keeps the rest: loss detection, the recovery episode's sequence bookkeeping, PRR's
/// arithmetic, undo.</summary>
internal interface ICongestionController
{
    /// <summary>The controller <paramref name="algorithm"/> names, for segments of <paramref name="mss"/> bytes,
    /// starting from <paramref name="initialWindowSegments"/> segments (0: RFC 5681 (3.1)'s IW for that MSS); BBR
    /// draws its ProbeBW phase from <paramref name="random"/> and starts its RTprop clock at
    /// <paramref name="now"/>.</summary>
    static ICongestionController Create(CongestionAlgorithm algorithm, int mss, int initialWindowSegments,
        IRandomSource random, Instant now) => algorithm switch
    {
        CongestionAlgorithm.Cubic => new CubicController(mss, initialWindowSegments),
        CongestionAlgorithm.Bbr => new BbrController(mss, initialWindowSegments, random, now),
        _ => new NewRenoController(mss, initialWindowSegments),
    };

    /// <summary>Congestion window in bytes (RFC 5681 cwnd).</summary>
    int Cwnd { get; }
    /// <summary>Slow-start threshold in bytes; int.MaxValue until the first loss.</summary>
    int Ssthresh { get; }
    /// <summary>In fast recovery (RFC 6582) or SACK loss recovery (RFC 6675) until <see cref="RecoveryPoint"/> is
    /// acknowledged.</summary>
    bool InRecovery { get; }
    /// <summary>RFC 6582 "recover": the highest sequence sent when loss recovery began.</summary>
    SequenceNumber RecoveryPoint { get; }

    /// <summary>Whether PRR (RFC 6937), if configured, sets the window during recovery; false when the algorithm
    /// keeps it itself (BBR's packet conservation).</summary>
    bool UsesProportionalRateReduction { get; }
    /// <summary>The delivery-rate sampler this algorithm reads, which the connection feeds with every transmission
    /// and delivery and closes with <see cref="OnDeliveryRateSample"/> per ACK; null for one that reads none.</summary>
    DeliveryRateEstimator? DeliveryRate { get; }
    /// <summary>The rate segments may leave at, bytes per second; 0 when the window alone limits sending. A pacing
    /// algorithm's first answer sets its initial rate from <paramref name="smoothedRtt"/> (zero: no sample yet).</summary>
    double PacingRate(Duration smoothedRtt);
    /// <summary>Whether <see cref="PacingRate"/> can be other than 0: false for a window-based algorithm, whose
    /// connections then skip asking per segment.</summary>
    bool Paces { get; }

    /// <summary>An ACK of new data outside recovery while the window limits sending (RFC 5681 §3.1, RFC 7661
    /// §4.1): growth, at <paramref name="now"/> with the smoothed RTT <paramref name="smoothedRtt"/>.</summary>
    void OnNewAck(int bytesAcked, Instant now, Duration smoothedRtt);
    /// <summary>Loss detected (RFC 5681 (3.2) step 2 / RFC 6675 §5 step 4, or RACK): recovery begins with
    /// <paramref name="flightSize"/> bytes outstanding, <paramref name="highestSent"/> the recovery point; without
    /// PRR or SACK the window is inflated by the three duplicate ACKs.</summary>
    void EnterRecovery(int flightSize, SequenceNumber highestSent, bool inflateForDupAcks);
    /// <summary>RFC 6582 (3.2) step 4: another duplicate ACK in recovery without SACK or PRR.</summary>
    void OnDuplicateAckInRecovery();
    /// <summary>RFC 6582 (3.2) step 5: a partial ACK of <paramref name="bytesAcked"/> in recovery without PRR.</summary>
    void OnPartialAck(int bytesAcked);
    /// <summary>RFC 6582 (3.2) step 5: the recovery point is acknowledged, <paramref name="flightSize"/> bytes still
    /// outstanding.</summary>
    void ExitRecovery(int flightSize);
    /// <summary>PRR (RFC 6937 §3): during recovery cwnd = pipe + sndcnt, set on every ACK.</summary>
    void SetRecoveryWindow(int cwnd);
    /// <summary>Bytes the ACK being processed marked lost (RACK), or the segment a fast retransmit resends.</summary>
    void OnBytesLost(int bytes);
    /// <summary>The end of an ACK for an algorithm with a <see cref="DeliveryRate"/> sampler: its rate sample, with
    /// <paramref name="bytesInFlight"/> after it and whether loss recovery (fast, or after a timeout) is
    /// running.</summary>
    void OnDeliveryRateSample(int bytesInFlight, bool inLossRecovery, Instant now);
    /// <summary>RFC 5681 (3.1) eq. 4: a retransmission timeout with <paramref name="flightSize"/> bytes outstanding;
    /// the window becomes one segment (the loss window).</summary>
    void OnRetransmissionTimeout(int flightSize);
    /// <summary>RFC 5682 §2 step 3b, a timeout found not spurious on its second ACK: at most three segments.</summary>
    void LimitAfterTimeout();
    /// <summary>Undo of a reduction found spurious (D-SACK, F-RTO): back to the window and threshold from before
    /// it, leaving recovery.</summary>
    void Restore(int cwnd, int ssthresh);
}
