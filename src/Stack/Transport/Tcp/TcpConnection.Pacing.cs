using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>What a rate-based congestion controller (BBR) needs from the connection: delivery-rate sampling, fed
/// from the sent-segment log (shared with RACK) when the controller has a sampler, and pacing, a timer releasing
/// segments at the controller's rate when it sets one. A window-based controller has neither, and sends as the
/// windows allow, unpaced.</summary>
public sealed partial class TcpConnection
{
    /// <summary>The controller's delivery-rate sampler (<see cref="ICongestionController.DeliveryRate"/>), or null.</summary>
    private DeliveryRateEstimator? _rate;
    private TcpTimer? _pacingTimer;
    /// <summary>The earliest time the pacing rate lets the next segment leave.</summary>
    private Instant _nextSendAt;
    /// <summary>The controller paces (<see cref="ICongestionController.Paces"/>), read once when it is made.</summary>
    private bool _paced;

    /// <summary>BBR's model, for tests and reports; null unless the connection runs BBR.</summary>
    public BbrModel? Bbr => (_cc as BbrController)?.Model;
    /// <summary>BBR's pacing rate in bytes per second; 0 without BBR.</summary>
    public double PacingRate => Bbr?.PacingRate ?? 0;

    /// <summary>After the handshake, with a controller that samples the delivery rate: the sent-segment log carries
    /// the stamps.</summary>
    private void InitDeliveryRateSampling()
    {
        _rate = _cc.DeliveryRate;
        if (_rate is not null) _sentLog ??= new SentSegmentLog();
    }

    /// <summary>Bytes in flight as the delivery-rate sampler counts them: RACK's (neither delivered nor lost), RFC
    /// 6675's pipe with SACK, else everything sent and not acknowledged.</summary>
    private int RateSampleInflight() => RackActive ? _sentLog!.InFlight()
        : _sackEnabled ? _scoreboard.Pipe(_sndUna, _sndMax, _highRxt, SendMss) : _sndNxt - _sndUna;

    /// <summary>Loss recovery as a rate-based controller sees it: fast recovery, or the episode a retransmission
    /// timeout started, until everything sent before it is acknowledged.</summary>
    private bool InLossRecovery => _cc.InRecovery || (_sndUna < _recover && _recover != _iss);

    /// <summary>End of an ACK: the controller's rate sample, if it reads one.</summary>
    private void DeliverRateSample()
    {
        if (_rate is not null) _cc.OnDeliveryRateSample(RateSampleInflight(), InLossRecovery, _scheduler.Now);
    }

    /// <summary>The RTT the first pacing rate starts from: the handshake's sample, if there was one.</summary>
    private Duration PacingRtt => _rto.HasSample ? _rto.SmoothedRtt : Duration.Zero;

    /// <summary>Whether the pacing rate lets a segment leave now; if not, the pacing timer will call
    /// <see cref="Output"/> when it does.</summary>
    private bool PacingAllows()
    {
        if (!_paced || _cc.PacingRate(PacingRtt) <= 0) return true;
        if (_scheduler.Now >= _nextSendAt) return true;
        (_pacingTimer ??= new TcpTimer(_scheduler, OnPacingTimeout)).StartAt(_nextSendAt);
        return false;
    }

    /// <summary>A segment of <paramref name="seqLength"/> left: the next may leave seqLength / pacing rate
    /// later.</summary>
    private void NotePaced(int seqLength)
    {
        if (seqLength <= 0 || !_paced) return;
        double rate = _cc.PacingRate(PacingRtt);
        if (rate <= 0) return;
        var now = _scheduler.Now;
        var from = _nextSendAt > now ? _nextSendAt : now;
        _nextSendAt = from + Duration.FromSeconds(seqLength / rate);
    }

    /// <summary>With delivery-rate sampling, output that stopped with room in the window and nothing more to send
    /// marks the samples of this flight application-limited.</summary>
    private void CheckApplicationLimited()
    {
        if (_rate is null || _pacingTimer is { IsRunning: true } || _cc.InRecovery) return;
        int inflight = RateSampleInflight();
        if (DataEnd - _sndNxt < SendMss && inflight < _cc.Cwnd) _rate.MarkAppLimited(inflight);
    }

    private void OnPacingTimeout()
    {
        if (CanSendData) Output();
    }
}
