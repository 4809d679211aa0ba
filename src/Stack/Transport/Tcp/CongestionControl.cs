namespace Netstack.Transport.Tcp;

/// <summary>Congestion window and slow-start threshold (RFC 5681), with the NewReno fast-recovery
/// bookkeeping of RFC 6582 and the recovery entry/exit rules shared with SACK recovery (RFC 6675).</summary>
public sealed class CongestionControl
{
    private readonly int _mss;
    private int _bytesAckedInCa;

    public CongestionControl(int mss, int initialWindowSegments)
    {
        _mss = mss;
        // RFC 5681 (3.1): IW = 4 segments for MSS <= 1095, 3 up to 2190, else 2 (unless configured).
        int iwSegments = initialWindowSegments > 0 ? initialWindowSegments : mss > 2190 ? 2 : mss > 1095 ? 3 : 4;
        Cwnd = iwSegments * mss;
        Ssthresh = int.MaxValue;
    }

    public int Cwnd { get; private set; }
    public int Ssthresh { get; private set; }
    public bool InRecovery { get; private set; }
    /// <summary>RFC 6582 "recover": the highest sequence sent when loss recovery began.</summary>
    public SequenceNumber RecoveryPoint { get; private set; }
    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>RFC 5681 (3.1): growth for an ACK of new data outside recovery.</summary>
    public void OnNewAck(int bytesAcked)
    {
        if (InSlowStart)
        {
            // RFC 3465 limit L = 1 SMSS per ACK.
            Cwnd += Math.Min(bytesAcked, _mss);
            return;
        }
        // Congestion avoidance: one SMSS per RTT, counted in acknowledged bytes.
        _bytesAckedInCa += bytesAcked;
        if (_bytesAckedInCa >= Cwnd)
        {
            _bytesAckedInCa -= Cwnd;
            Cwnd += _mss;
        }
    }

    /// <summary>RFC 5681 (3.2) step 2 / RFC 6675 §5 step 4: enter fast recovery.</summary>
    public void EnterRecovery(int flightSize, SequenceNumber highestSent, bool inflateForDupAcks)
    {
        Ssthresh = Math.Max(flightSize / 2, 2 * _mss);
        Cwnd = inflateForDupAcks ? Ssthresh + 3 * _mss : Ssthresh;
        RecoveryPoint = highestSent;
        InRecovery = true;
        _bytesAckedInCa = 0;
    }

    /// <summary>RFC 6582 (3.2) step 4: an additional duplicate ACK inflates the window.</summary>
    public void OnDupAckInRecovery() => Cwnd += _mss;

    /// <summary>RFC 6582 (3.2) step 5, partial ACK: deflate by the newly acknowledged data, add back one
    /// SMSS if at least one SMSS was acknowledged.</summary>
    public void OnPartialAck(int bytesAcked)
    {
        Cwnd = Math.Max(Cwnd - bytesAcked, _mss);
        if (bytesAcked >= _mss) Cwnd += _mss;
    }

    /// <summary>RFC 6582 (3.2) step 5, full ACK: deflate to min(ssthresh, FlightSize + SMSS).</summary>
    public void ExitRecovery(int flightSize)
    {
        Cwnd = Math.Min(Ssthresh, Math.Max(flightSize, _mss) + _mss);
        InRecovery = false;
    }

    /// <summary>RFC 5681 (3.1) eq. 4: after a retransmission timeout, one segment (the loss window).</summary>
    public void OnRetransmissionTimeout(int flightSize)
    {
        Ssthresh = Math.Max(flightSize / 2, 2 * _mss);
        Cwnd = _mss;
        InRecovery = false;
        _bytesAckedInCa = 0;
    }

    /// <summary>RFC 5681 §4.1: restart window after an idle period longer than an RTO.</summary>
    public void OnIdleRestart(int restartWindow)
    {
        if (Cwnd > restartWindow) Cwnd = restartWindow;
    }
}
