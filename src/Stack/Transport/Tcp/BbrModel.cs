using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>BBR congestion control, version 1, as draft-cardwell-iccrg-bbr-congestion-control-00 describes it (the
/// algorithm of Linux's upstream tcp_bbr): a model of the path, the bottleneck bandwidth (the windowed maximum of the
/// delivery rate over 10 round trips) and the round-trip propagation time (the minimum RTT of the last 10 s), sets
/// the pacing rate (pacing_gain x BtlBw) and the window (cwnd_gain x BDP + 3 segments). Loss does not shrink the
/// model: only the lost bytes leave the window, and in the first round of a recovery the window is held to packet
/// conservation. Windows and rates are in bytes; time comes from the caller.</summary>
public sealed class BbrModel
{
    /// <summary>BBRHighGain = 2/ln(2): the smallest gain that doubles the delivery rate every round.</summary>
    public static readonly double HighGain = 2 / Math.Log(2);
    /// <summary>The ProbeBW phase's cwnd_gain: room for delayed and stretched ACKs.</summary>
    public const double ProbeBwCwndGain = 2;
    /// <summary>BBRGainCycleLen pacing gains of ProbeBW.</summary>
    private static ReadOnlySpan<double> GainCycle => [1.25, 0.75, 1, 1, 1, 1, 1, 1];
    /// <summary>BtlBwFilterLen: the bandwidth filter's window in round trips.</summary>
    public const int BandwidthFilterRounds = 10;
    /// <summary>RTpropFilterLen: how long a minimum RTT stands without being measured again.</summary>
    public static readonly Duration RtPropFilterLength = Duration.FromSeconds(10);
    /// <summary>ProbeRTTDuration: the least time spent at the minimum window in ProbeRTT.</summary>
    public static readonly Duration ProbeRttDuration = Duration.FromMilliseconds(200);
    /// <summary>BBRMinPipeCwnd, in segments.</summary>
    public const int MinPipeSegments = 4;
    /// <summary>Full pipe: the bandwidth grew by less than this factor ...</summary>
    private const double FullBandwidthGrowth = 1.25;
    /// <summary>... for this many round trips in a row.</summary>
    private const int FullBandwidthRounds = 3;

    private readonly int _mss, _initialCwnd;
    private readonly DeliveryRateEstimator _rate;
    private readonly Netstack.Time.IRandomSource _random;
    private WindowedMaxFilter _btlBw;
    private Instant _rtPropStamp;
    private bool _rtPropExpired;
    private long _nextRoundDelivered;
    private bool _roundStart;
    private double _fullBw;
    private int _fullBwCount;
    private int _cycleIndex;
    private Instant _cycleStamp;
    private Instant _probeRttDoneStamp;
    private bool _probeRttDoneSet, _probeRttRoundDone;
    private bool _inRecovery;

    /// <summary>A model for segments of <paramref name="mss"/> bytes, starting from <paramref name="initialCwnd"/>
    /// bytes at <paramref name="now"/>; samples come from <paramref name="rate"/>, ProbeBW's starting phase from
    /// <paramref name="random"/>.</summary>
    public BbrModel(int mss, int initialCwnd, DeliveryRateEstimator rate, Netstack.Time.IRandomSource random, Instant now)
    {
        _mss = mss;
        _initialCwnd = initialCwnd;
        _rate = rate;
        _random = random;
        RtProp = Duration.MaxValue;
        _rtPropStamp = now;
        EnterStartup();
    }

    /// <summary>The state machine's state.</summary>
    public BbrMode Mode { get; private set; }
    /// <summary>Current pacing gain.</summary>
    public double PacingGain { get; private set; }
    /// <summary>Current cwnd gain.</summary>
    public double CwndGain { get; private set; }
    /// <summary>Pacing rate in bytes per second; 0 until <see cref="InitPacingRate"/>.</summary>
    public double PacingRate { get; private set; }
    /// <summary>BBR.BtlBw: the bottleneck bandwidth estimate in bytes per second; 0 before the first sample.</summary>
    public double BottleneckBandwidth => _btlBw.Best;
    /// <summary>BBR.RTprop: the propagation RTT estimate; <see cref="Duration.MaxValue"/> before the first sample.</summary>
    public Duration RtProp { get; private set; }
    /// <summary>BBR.round_count: round trips counted by delivery.</summary>
    public long RoundCount { get; private set; }
    /// <summary>BBR.filled_pipe: Startup found the bandwidth.</summary>
    public bool FilledPipe { get; private set; }
    /// <summary>In the first round of a loss recovery: the window follows the flight plus what is delivered.</summary>
    public bool PacketConservation { get; private set; }
    /// <summary>The window saved on entering recovery or ProbeRTT, restored on leaving it.</summary>
    public int PriorCwnd { get; private set; }
    /// <summary>Which ProbeBW gain phase is running (index into 5/4, 3/4, 1, 1, 1, 1, 1, 1).</summary>
    public int CycleIndex => _cycleIndex;

    /// <summary>Whether an RTT sample has set <see cref="RtProp"/>.</summary>
    public bool HasRtProp => RtProp != Duration.MaxValue;

    /// <summary>BBRInitPacingRate: the initial window over the handshake's RTT (1 ms without one), times the
    /// Startup gain.</summary>
    public void InitPacingRate(Duration srtt)
    {
        double seconds = srtt > Duration.Zero ? srtt.TotalSeconds : 0.001;
        PacingRate = PacingGain * _initialCwnd / seconds;
    }

    /// <summary>The estimated bytes in flight for <paramref name="gain"/> (BBRInflight): gain x BDP plus
    /// three segments for the sender's and receiver's batching; the initial window before an RTT sample.</summary>
    public int Inflight(double gain)
    {
        if (!HasRtProp || BottleneckBandwidth <= 0) return _initialCwnd;
        double bdp = BottleneckBandwidth * RtProp.TotalSeconds;
        return (int)Math.Min(int.MaxValue / 2, gain * bdp + 3 * _mss);
    }

    /// <summary>A retransmission timeout: the window is saved for the end of the recovery and the first
    /// round after it is held to packet conservation. The caller sets the window to one segment.</summary>
    public void OnRetransmissionTimeout(int cwnd)
    {
        PriorCwnd = SaveCwnd(cwnd);
        _inRecovery = true;
        PacketConservation = true;
        _nextRoundDelivered = _rate.Delivered;
    }

    /// <summary>One ACK (-4.2, BBRUpdateModelAndState then BBRUpdateControlParameters): <paramref name="rs"/> its
    /// rate sample, <paramref name="cwnd"/> the window before it, <paramref name="inflight"/> the bytes in flight
    /// after it, <paramref name="acked"/> and <paramref name="lost"/> the bytes it delivered and newly marked lost,
    /// <paramref name="inRecovery"/> whether loss recovery (fast or after a timeout) is running. Returns the new
    /// window.</summary>
    public int OnAck(in RateSample rs, int cwnd, int inflight, int acked, int lost, bool inRecovery, Instant now)
    {
        if (inRecovery && !_inRecovery)
        {
            // Entering recovery (BBROnEnterFastRecovery), the window drops to what is in flight (at least one segment more).
            PriorCwnd = SaveCwnd(cwnd);
            cwnd = inflight + Math.Max(acked, _mss);
            PacketConservation = true;
            _nextRoundDelivered = _rate.Delivered;
        }
        else if (!inRecovery && _inRecovery)
        {
            PacketConservation = false;
            cwnd = Math.Max(cwnd, PriorCwnd);
        }
        _inRecovery = inRecovery;

        UpdateRound(rs);
        if (_roundStart && PacketConservation) PacketConservation = false; // one round of conservation only
        if (rs.IsValid && (rs.DeliveryRate >= BottleneckBandwidth || !rs.IsAppLimited))
            _btlBw.Update(rs.DeliveryRate, RoundCount, BandwidthFilterRounds);
        if (Mode == BbrMode.ProbeBw && IsNextCyclePhase(inflight + acked, lost, now)) AdvanceCyclePhase(now);
        CheckFullPipe(rs);
        CheckDrain(inflight, now);
        UpdateRtProp(rs, now);
        cwnd = CheckProbeRtt(inflight, cwnd, now);

        // BBRSetPacingRate: never lower before the pipe is known full.
        if (BottleneckBandwidth > 0)
        {
            double rate = PacingGain * BottleneckBandwidth;
            if (FilledPipe || rate > PacingRate) PacingRate = rate;
        }
        return SetCwnd(cwnd, inflight, acked, lost);
    }

    /// <summary>BBRSetCwnd, with BBRModulateCwndForRecovery and BBRModulateCwndForProbeRTT.</summary>
    private int SetCwnd(int cwnd, int inflight, int acked, int lost)
    {
        int target = Inflight(CwndGain);
        if (lost > 0) cwnd = Math.Max(cwnd - lost, _mss);
        if (PacketConservation) cwnd = Math.Max(cwnd, inflight + acked);
        else
        {
            if (FilledPipe) cwnd = Math.Min(cwnd + acked, target);
            else if (cwnd < target || _rate.Delivered < _initialCwnd) cwnd += acked;
            cwnd = Math.Max(cwnd, MinPipeSegments * _mss);
        }
        if (Mode == BbrMode.ProbeRtt) cwnd = Math.Min(cwnd, MinPipeSegments * _mss);
        return cwnd;
    }

    private int SaveCwnd(int cwnd) => !_inRecovery && Mode != BbrMode.ProbeRtt ? cwnd : Math.Max(PriorCwnd, cwnd);

    /// <summary>BBRUpdateRound: a round trip ends when a segment sent after the round began is delivered.</summary>
    private void UpdateRound(in RateSample rs)
    {
        _roundStart = false;
        if (rs.HasData && rs.PriorDelivered >= _nextRoundDelivered)
        {
            _nextRoundDelivered = _rate.Delivered;
            RoundCount++;
            _roundStart = true;
        }
    }

    /// <summary>BBRUpdateRTprop: the minimum RTT, replaced by any sample once it is 10 s old.</summary>
    private void UpdateRtProp(in RateSample rs, Instant now)
    {
        _rtPropExpired = now > _rtPropStamp + RtPropFilterLength;
        if (rs.HasRtt && (rs.Rtt <= RtProp || _rtPropExpired))
        {
            RtProp = rs.Rtt;
            _rtPropStamp = now;
        }
    }

    private void EnterStartup()
    {
        Mode = BbrMode.Startup;
        PacingGain = HighGain;
        CwndGain = HighGain;
    }

    /// <summary>BBRCheckFullPipe: the pipe is full when three round trips in a row grew the bandwidth by less than 25%.</summary>
    private void CheckFullPipe(in RateSample rs)
    {
        if (FilledPipe || !_roundStart || rs.IsAppLimited) return;
        if (BottleneckBandwidth >= _fullBw * FullBandwidthGrowth)
        {
            _fullBw = BottleneckBandwidth;
            _fullBwCount = 0;
            return;
        }
        if (++_fullBwCount >= FullBandwidthRounds) FilledPipe = true;
    }

    /// <summary>BBRCheckDrain: Startup ends into Drain once the pipe is full; Drain ends when the flight is down to one
    /// BDP.</summary>
    private void CheckDrain(int inflight, Instant now)
    {
        if (Mode == BbrMode.Startup && FilledPipe)
        {
            Mode = BbrMode.Drain;
            PacingGain = 1 / HighGain;
            CwndGain = HighGain;
        }
        if (Mode == BbrMode.Drain && inflight <= Inflight(1.0)) EnterProbeBw(now);
    }

    /// <summary>BBREnterProbeBW: ProbeBW starts at a random phase other than the 3/4 one.</summary>
    private void EnterProbeBw(Instant now)
    {
        Mode = BbrMode.ProbeBw;
        PacingGain = 1;
        CwndGain = ProbeBwCwndGain;
        _cycleIndex = GainCycle.Length - 1 - (int)(_random.NextUInt64() % (ulong)(GainCycle.Length - 1));
        AdvanceCyclePhase(now);
    }

    private void AdvanceCyclePhase(Instant now)
    {
        _cycleStamp = now;
        _cycleIndex = (_cycleIndex + 1) % GainCycle.Length;
        PacingGain = GainCycle[_cycleIndex];
    }

    /// <summary>BBRIsNextCyclePhase: each phase lasts about an RTprop; the probing phase longer while the
    /// flight has not reached 5/4 BDP and nothing was lost, the draining one shorter once the flight is down to one
    /// BDP.</summary>
    private bool IsNextCyclePhase(int priorInflight, int lost, Instant now)
    {
        bool isFullLength = now - _cycleStamp > RtProp;
        if (PacingGain == 1) return isFullLength;
        if (PacingGain > 1) return isFullLength && (lost > 0 || priorInflight >= Inflight(PacingGain));
        return isFullLength || priorInflight <= Inflight(1.0);
    }

    /// <summary>BBRCheckProbeRTT: a minimum RTT 10 s old sends BBR to ProbeRTT: four segments in flight for at least 200 ms and
    /// a round trip, then back to ProbeBW (or Startup) with the saved window.</summary>
    private int CheckProbeRtt(int inflight, int cwnd, Instant now)
    {
        if (Mode != BbrMode.ProbeRtt && _rtPropExpired)
        {
            Mode = BbrMode.ProbeRtt;
            PacingGain = 1;
            CwndGain = 1;
            PriorCwnd = SaveCwnd(cwnd);
            _probeRttDoneSet = false;
        }
        if (Mode != BbrMode.ProbeRtt) return cwnd;
        // The low rates ProbeRTT delivers are not the path's.
        _rate.MarkAppLimited(inflight);
        if (!_probeRttDoneSet && inflight <= MinPipeSegments * _mss)
        {
            _probeRttDoneStamp = now + ProbeRttDuration;
            _probeRttDoneSet = true;
            _probeRttRoundDone = false;
            _nextRoundDelivered = _rate.Delivered;
        }
        else if (_probeRttDoneSet)
        {
            if (_roundStart) _probeRttRoundDone = true;
            if (_probeRttRoundDone && now > _probeRttDoneStamp)
            {
                _rtPropStamp = now;
                cwnd = Math.Max(cwnd, PriorCwnd);
                if (FilledPipe) EnterProbeBw(now);
                else EnterStartup();
            }
        }
        return cwnd;
    }
}
