namespace Netstack.Transport.Tcp;

/// <summary>Congestion window and slow-start threshold (RFC 5681), with the NewReno fast-recovery
/// bookkeeping of RFC 6582 and the recovery entry/exit rules shared with SACK recovery (RFC 6675). With
/// <see cref="CongestionAlgorithm.Cubic"/>, congestion avoidance and the reduction on loss follow RFC 9438.</summary>
public sealed class CongestionControl
{
    private readonly int _mss;
    private int _bytesAckedInCa;
    private readonly CubicWindow? _cubic;
    /// <summary>CUBIC's window in segments, kept fractional between ACKs.</summary>
    private double _cubicCwnd;
    /// <summary>BBR sets the window itself (<see cref="SetModelWindow"/>): the loss-based rules leave it alone.</summary>
    private readonly bool _modelDriven;

    /// <summary>A window for segments of <paramref name="mss"/> bytes; <paramref name="initialWindowSegments"/> of 0
    /// picks RFC 5681 (3.1)'s IW for that MSS.</summary>
    public CongestionControl(int mss, int initialWindowSegments, CongestionAlgorithm algorithm = CongestionAlgorithm.NewReno)
    {
        _mss = mss;
        if (algorithm == CongestionAlgorithm.Cubic) _cubic = new CubicWindow();
        _modelDriven = algorithm == CongestionAlgorithm.Bbr;
        // RFC 5681 (3.1): IW = 4 segments for MSS <= 1095, 3 up to 2190, else 2 (unless configured).
        int iwSegments = initialWindowSegments > 0 ? initialWindowSegments : mss > 2190 ? 2 : mss > 1095 ? 3 : 4;
        Cwnd = iwSegments * mss;
        Ssthresh = int.MaxValue;
    }

    /// <summary>Congestion window in bytes (RFC 5681 cwnd).</summary>
    public int Cwnd { get; private set; }
    /// <summary>Slow-start threshold in bytes; int.MaxValue until the first loss.</summary>
    public int Ssthresh { get; private set; }
    /// <summary>In fast recovery (RFC 6582) or SACK loss recovery (RFC 6675) until <see cref="RecoveryPoint"/> is
    /// acknowledged.</summary>
    public bool InRecovery { get; private set; }
    /// <summary>RFC 6582 "recover": the highest sequence sent when loss recovery began.</summary>
    public SequenceNumber RecoveryPoint { get; private set; }
    /// <summary>cwnd below ssthresh: growth is exponential (RFC 5681 §3.1).</summary>
    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>Which algorithm governs congestion avoidance and the reduction on loss.</summary>
    public CongestionAlgorithm Algorithm => _modelDriven ? CongestionAlgorithm.Bbr
        : _cubic is null ? CongestionAlgorithm.NewReno : CongestionAlgorithm.Cubic;

    /// <summary>BBR's window for this ACK (<see cref="BbrModel.OnAck"/>), at least one segment.</summary>
    public void SetModelWindow(int cwnd) => Cwnd = Math.Max(cwnd, _mss);

    /// <summary>RFC 5681 (3.1): growth for an ACK of new data outside recovery; in congestion avoidance with
    /// CUBIC, RFC 9438 §4.2-4.5 from the time <paramref name="nowSeconds"/> and the smoothed RTT.</summary>
    public void OnNewAck(int bytesAcked, double nowSeconds = 0, double srttSeconds = 0)
    {
        if (_modelDriven) return;
        if (InSlowStart)
        {
            // RFC 3465 limit L = 1 SMSS per ACK.
            Cwnd += Math.Min(bytesAcked, _mss);
            return;
        }
        if (_cubic is not null)
        {
            // The fractional window carries over between ACKs unless something else (recovery exit) moved cwnd.
            double current = Math.Abs(_cubicCwnd * _mss - Cwnd) < _mss ? _cubicCwnd : (double)Cwnd / _mss;
            _cubicCwnd = _cubic.OnAck(current, nowSeconds, srttSeconds, (double)bytesAcked / _mss);
            Cwnd = Math.Max(Cwnd, (int)(_cubicCwnd * _mss));
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
        if (_modelDriven)
        {
            // BBR keeps ssthresh; its model sets the window at the end of this ACK.
            RecoveryPoint = highestSent;
            InRecovery = true;
            return;
        }
        Ssthresh = ReducedThreshold(flightSize);
        Cwnd = inflateForDupAcks ? Ssthresh + 3 * _mss : Ssthresh;
        RecoveryPoint = highestSent;
        InRecovery = true;
        _bytesAckedInCa = 0;
    }

    /// <summary>RFC 6582 (3.2) step 4: an additional duplicate ACK inflates the window.</summary>
    public void OnDupAckInRecovery()
    {
        if (!_modelDriven) Cwnd += _mss;
    }

    /// <summary>RFC 6582 (3.2) step 5, partial ACK: deflate by the newly acknowledged data, add back one
    /// SMSS if at least one SMSS was acknowledged.</summary>
    public void OnPartialAck(int bytesAcked)
    {
        if (_modelDriven) return;
        Cwnd = Math.Max(Cwnd - bytesAcked, _mss);
        if (bytesAcked >= _mss) Cwnd += _mss;
    }

    /// <summary>RFC 6582 (3.2) step 5, full ACK: deflate to min(ssthresh, FlightSize + SMSS).</summary>
    public void ExitRecovery(int flightSize)
    {
        if (!_modelDriven) Cwnd = Math.Min(Ssthresh, Math.Max(flightSize, _mss) + _mss);
        InRecovery = false;
    }

    /// <summary>PRR (RFC 6937 §3): during recovery cwnd = pipe + sndcnt, set on every ACK.</summary>
    public void SetRecoveryWindow(int cwnd) => Cwnd = Math.Max(cwnd, _mss);

    /// <summary>Undo of a reduction found spurious (D-SACK, F-RTO): back to the window and threshold from before
    /// it, leaving recovery.</summary>
    public void Restore(int cwnd, int ssthresh)
    {
        Cwnd = Math.Max(Cwnd, cwnd);
        Ssthresh = Math.Max(Ssthresh, ssthresh);
        InRecovery = false;
        _bytesAckedInCa = 0;
    }

    /// <summary>RFC 5682 §2 step 3b, a timeout found not spurious on its second ACK: at most three segments.</summary>
    public void LimitAfterTimeout() => Cwnd = Math.Min(Cwnd, 3 * _mss);

    /// <summary>RFC 5681 (3.1) eq. 4: after a retransmission timeout, one segment (the loss window).</summary>
    public void OnRetransmissionTimeout(int flightSize)
    {
        if (!_modelDriven) Ssthresh = ReducedThreshold(flightSize);
        Cwnd = _mss;
        InRecovery = false;
        _bytesAckedInCa = 0;
    }

    /// <summary>RFC 5681 §4.1: restart window after an idle period longer than an RTO.</summary>
    public void OnIdleRestart(int restartWindow)
    {
        if (Cwnd > restartWindow) Cwnd = restartWindow;
    }

    /// <summary>The slow-start threshold after a congestion event: half the flight (RFC 5681 eq. 4), or with
    /// CUBIC β = 0.7 of the window, remembering it as W_max (RFC 9438 §4.6).</summary>
    private int ReducedThreshold(int flightSize)
    {
        if (_cubic is null) return Math.Max(flightSize / 2, 2 * _mss);
        // β times the flight (RFC 9438 §4.6 allows FlightSize for cwnd, as RFC 5681 uses it): an
        // application-limited sender does not keep a window it never filled.
        double segments = _cubic.OnCongestionEvent((double)flightSize / _mss);
        _cubicCwnd = segments;
        return Math.Max((int)(segments * _mss), 2 * _mss);
    }
}

/// <summary>The congestion control a connection runs: NewReno (RFC 5681, RFC 6582), CUBIC (RFC 9438) or BBR
/// (draft-cardwell-iccrg-bbr-congestion-control).</summary>
public enum CongestionAlgorithm
{
    /// <summary>RFC 5681 congestion avoidance with RFC 6582 fast recovery: ssthresh halves on loss.</summary>
    NewReno,
    /// <summary>RFC 9438: cubic window growth after loss, reduction by β = 0.7.</summary>
    Cubic,
    /// <summary>BBR v1: window and pacing rate from the measured bottleneck bandwidth and minimum RTT; loss is not
    /// taken as a congestion signal beyond the lost bytes themselves.</summary>
    Bbr,
}
