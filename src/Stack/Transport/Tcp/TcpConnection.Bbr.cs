using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>BBR (<see cref="CongestionAlgorithm.Bbr"/>): the delivery-rate sampling it feeds on, its per-ACK update
/// and the pacing it needs, a timer releasing segments at the model's pacing rate. Nothing here runs for NewReno or
/// CUBIC, which send as the windows allow, unpaced.</summary>
public sealed partial class TcpConnection
{
    private BbrModel? _bbr;
    private DeliveryRateEstimator? _rate;
    private TcpTimer? _pacingTimer;
    /// <summary>The earliest time the pacing rate lets the next segment leave.</summary>
    private Instant _nextSendAt;
    /// <summary>Bytes the ACK being processed marked lost (RACK), or the segment a fast retransmit resends.</summary>
    private int _bbrLostThisAck;

    /// <summary>BBR's model, for tests and reports; null unless the connection runs BBR.</summary>
    public BbrModel? Bbr => _bbr;
    /// <summary>BBR's pacing rate in bytes per second; 0 without BBR.</summary>
    public double PacingRate => _bbr?.PacingRate ?? 0;

    /// <summary>After the handshake, with BBR selected: the sent-segment log (shared with RACK) carries the
    /// delivery-rate stamps.</summary>
    private void InitBbr()
    {
        if (_settings.CongestionControl != CongestionAlgorithm.Bbr || _bbr is not null) return;
        _sentLog ??= new SentSegmentLog();
        _rate = new DeliveryRateEstimator();
        _bbr = new BbrModel(SendMss, _cc.Cwnd, _rate, _stack.Random, _scheduler.Now);
        _pacingTimer = new TcpTimer(_scheduler, OnPacingTimeout);
    }

    /// <summary>Bytes in flight as BBR counts them: RACK's (neither delivered nor lost), RFC 6675's pipe with SACK,
    /// else everything sent and not acknowledged.</summary>
    private int BbrInflight() => RackActive ? _sentLog!.InFlight()
        : _sackEnabled ? _scoreboard.Pipe(_sndUna, _sndMax, _highRxt, SendMss) : _sndNxt - _sndUna;

    /// <summary>Loss recovery as BBR sees it: fast recovery, or the episode a retransmission timeout started, until
    /// everything sent before it is acknowledged.</summary>
    private bool BbrInLossRecovery => _cc.InRecovery || (_sndUna < _recover && _recover != _iss);

    /// <summary>End of an ACK: the rate sample, then the model's new window and pacing rate.</summary>
    private void BbrOnAck()
    {
        // Before the first RTT sample no interval is too short to count.
        var minRtt = _bbr!.HasRtProp ? _bbr.RtProp : Duration.Zero;
        var rs = _rate!.Generate(minRtt);
        int acked = (int)Math.Min(int.MaxValue, _rate.DeliveredThisAck);
        int cwnd = _bbr.OnAck(rs, _cc.Cwnd, BbrInflight(), acked, _bbrLostThisAck, BbrInLossRecovery, _scheduler.Now);
        _bbrLostThisAck = 0;
        _cc.SetModelWindow(cwnd);
    }

    /// <summary>A retransmission timeout is about to set the window to one segment: BBR saves the one to restore.</summary>
    private void BbrOnRetransmissionTimeout() => _bbr?.OnRetransmissionTimeout(_cc.Cwnd);

    /// <summary>Whether the pacing rate lets a segment leave now; if not, the pacing timer will call
    /// <see cref="Output"/> when it does.</summary>
    private bool PacingAllows()
    {
        if (_bbr is null) return true;
        EnsurePacingRate(_bbr);
        if (_scheduler.Now >= _nextSendAt) return true;
        _pacingTimer!.StartAt(_nextSendAt);
        return false;
    }

    /// <summary>A segment of <paramref name="seqLength"/> left: the next may leave seqLength / pacing rate
    /// later.</summary>
    private void NotePaced(int seqLength)
    {
        if (_bbr is null || seqLength <= 0) return;
        EnsurePacingRate(_bbr);
        var now = _scheduler.Now;
        var from = _nextSendAt > now ? _nextSendAt : now;
        _nextSendAt = from + Duration.FromSeconds(seqLength / _bbr.PacingRate);
    }

    /// <summary>The first pacing decision sets the rate from the handshake's RTT sample (none: the model's default).</summary>
    private void EnsurePacingRate(BbrModel bbr)
    {
        if (bbr.PacingRate <= 0) bbr.InitPacingRate(_rto.HasSample ? _rto.SmoothedRtt : Duration.Zero);
    }

    /// <summary>With BBR, output that stopped with room in the window and nothing more to send marks the
    /// delivery-rate samples of this flight application-limited.</summary>
    private void BbrCheckAppLimited()
    {
        if (_bbr is null || _pacingTimer!.IsRunning || _cc.InRecovery) return;
        int inflight = BbrInflight();
        if (DataEnd - _sndNxt < SendMss && inflight < _cc.Cwnd) _rate!.MarkAppLimited(inflight);
    }

    private void OnPacingTimeout()
    {
        if (CanSendData) Output();
    }
}
