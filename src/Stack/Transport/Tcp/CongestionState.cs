namespace Netstack.Transport.Tcp;

/// <summary>What every congestion controller keeps alike: RFC 5681's cwnd and ssthresh, the recovery episode (RFC
/// 6582's "recover"), and the rules no algorithm changes: the initial window, PRR's window, undo and F-RTO's
/// limit.</summary>
internal abstract class CongestionState
{
    /// <summary>A window for segments of <paramref name="mss"/> bytes; <paramref name="initialWindowSegments"/> of 0
    /// picks RFC 5681 (3.1)'s IW for that MSS.</summary>
    protected CongestionState(int mss, int initialWindowSegments)
    {
        Mss = mss;
        // RFC 5681 (3.1): IW = 4 segments for MSS <= 1095, 3 up to 2190, else 2 (unless configured).
        int iwSegments = initialWindowSegments > 0 ? initialWindowSegments : mss > 2190 ? 2 : mss > 1095 ? 3 : 4;
        Cwnd = iwSegments * mss;
        Ssthresh = int.MaxValue;
    }

    /// <summary>The sender's maximum segment size (SMSS) in bytes.</summary>
    protected int Mss { get; }
    /// <summary>Congestion window in bytes (RFC 5681 cwnd).</summary>
    public int Cwnd { get; protected set; }
    /// <summary>Slow-start threshold in bytes; int.MaxValue until the first loss.</summary>
    public int Ssthresh { get; protected set; }
    /// <summary>In fast recovery (RFC 6582) or SACK loss recovery (RFC 6675) until <see cref="RecoveryPoint"/> is
    /// acknowledged.</summary>
    public bool InRecovery { get; protected set; }
    /// <summary>RFC 6582 "recover": the highest sequence sent when loss recovery began.</summary>
    public SequenceNumber RecoveryPoint { get; private set; }

    /// <summary>PRR (RFC 6937 §3): during recovery cwnd = pipe + sndcnt, set on every ACK.</summary>
    public void SetRecoveryWindow(int cwnd) => Cwnd = Math.Max(cwnd, Mss);

    /// <summary>RFC 5682 §2 step 3b, a timeout found not spurious on its second ACK: at most three segments.</summary>
    public void LimitAfterTimeout() => Cwnd = Math.Min(Cwnd, 3 * Mss);

    /// <summary>Undo of a reduction found spurious (D-SACK, F-RTO): back to the window and threshold from before
    /// it, leaving recovery.</summary>
    public virtual void Restore(int cwnd, int ssthresh)
    {
        Cwnd = Math.Max(Cwnd, cwnd);
        Ssthresh = Math.Max(Ssthresh, ssthresh);
        InRecovery = false;
    }

    /// <summary>Recovery begins; it lasts until <paramref name="highestSent"/> is acknowledged.</summary>
    protected void BeginRecovery(SequenceNumber highestSent)
    {
        RecoveryPoint = highestSent;
        InRecovery = true;
    }

    /// <summary>After a retransmission timeout: one segment (RFC 5681 (3.1) eq. 4's loss window), recovery over.</summary>
    protected void CollapseToLossWindow()
    {
        Cwnd = Mss;
        InRecovery = false;
    }
}
