using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>Delivery-rate sampling (draft-cheng-iccrg-delivery-rate-estimation): the connection counts the bytes
/// delivered (cumulatively or selectively acknowledged) and when; every transmission stamps its
/// <see cref="SentSegmentLog.Entry"/> with that count, its time and the send time of the flight's first segment; an
/// ACK turns the newest segment it delivers into a rate sample = bytes delivered since that segment was sent / the
/// longer of its send and ACK intervals. No allocation: the stamps live in the log's entries.</summary>
public sealed class DeliveryRateEstimator
{
    private Instant _firstSentTime;
    /// <summary>C.app_limited: the delivered count after which samples stop being application-limited; 0 if
    /// not.</summary>
    private long _appLimitedUntil;
    private long _deliveredAtAckStart;
    // The sample the current ACK builds (from its newest delivered segment).
    private bool _hasSample;
    private long _priorDelivered;
    private Instant _priorTime, _newestSentAt;
    private SequenceNumber _newestEnd;
    private Duration _sendElapsed, _ackElapsed, _rtt;
    private bool _sampleAppLimited, _hasRtt;

    /// <summary>C.delivered: bytes delivered so far.</summary>
    public long Delivered { get; private set; }
    /// <summary>C.delivered_time: when <see cref="Delivered"/> last grew.</summary>
    public Instant DeliveredTime { get; private set; }
    /// <summary>Bytes the ACK being processed delivered.</summary>
    public long DeliveredThisAck => Delivered - _deliveredAtAckStart;
    /// <summary>Samples are application-limited until the flight now out is delivered.</summary>
    public bool IsAppLimited => _appLimitedUntil != 0;

    /// <summary>A transmission at <paramref name="now"/>; with nothing in flight, the intervals restart (the draft:
    /// C.first_sent_time = C.delivered_time = Now). Stamps <paramref name="entry"/> with the connection's state.</summary>
    public void OnTransmit(ref SentSegmentLog.Entry entry, bool nothingInFlight, Instant now)
    {
        if (nothingInFlight)
        {
            _firstSentTime = now;
            DeliveredTime = now;
        }
        entry.DeliveredAtSend = Delivered;
        entry.DeliveredTimeAtSend = DeliveredTime;
        entry.FirstSentAt = _firstSentTime;
        entry.AppLimitedAtSend = _appLimitedUntil != 0;
    }

    /// <summary>The sender has nothing more to send although the window allows: samples until the flight now out
    /// is delivered measure the application, not the path.</summary>
    public void MarkAppLimited(long bytesInFlight) => _appLimitedUntil = Math.Max(Delivered + bytesInFlight, 1);

    /// <summary>An ACK arrives: a fresh sample.</summary>
    public void BeginAck()
    {
        _deliveredAtAckStart = Delivered;
        _hasSample = false;
        _hasRtt = false;
    }

    /// <summary>The ACK delivers <paramref name="e"/> (first time; the caller marks it delivered): count it, and if
    /// it was sent after every other segment this ACK delivers, it is the sample's segment.</summary>
    public void OnDelivered(in SentSegmentLog.Entry e, Instant now)
    {
        Delivered += e.End - e.Start;
        DeliveredTime = now;
        if (_hasSample && !(e.SentAt > _newestSentAt || (e.SentAt == _newestSentAt && e.End > _newestEnd))) return;
        _hasSample = true;
        _newestSentAt = e.SentAt;
        _newestEnd = e.End;
        _priorDelivered = e.DeliveredAtSend;
        _priorTime = e.DeliveredTimeAtSend;
        _sampleAppLimited = e.AppLimitedAtSend;
        _sendElapsed = e.SentAt - e.FirstSentAt;
        _ackElapsed = now - e.DeliveredTimeAtSend;
        _firstSentTime = e.SentAt;
        // Karn: a retransmitted segment's ACK may answer either transmission.
        _hasRtt = !e.Retransmitted;
        _rtt = now - e.SentAt;
    }

    /// <summary>The ACK's rate sample GenerateRateSample: invalid without a delivered segment or when
    /// its interval is shorter than <paramref name="minRtt"/> (a compressed interval would overestimate).</summary>
    public RateSample Generate(Duration minRtt)
    {
        if (_appLimitedUntil != 0 && Delivered > _appLimitedUntil) _appLimitedUntil = 0;
        var rs = new RateSample { Rtt = _rtt, HasRtt = _hasSample && _hasRtt };
        if (!_hasSample) return rs;
        rs.PriorDelivered = _priorDelivered;
        rs.IsAppLimited = _sampleAppLimited;
        rs.Delivered = Delivered - _priorDelivered;
        rs.Interval = _sendElapsed > _ackElapsed ? _sendElapsed : _ackElapsed;
        rs.HasData = true;
        if (rs.Interval <= Duration.Zero || rs.Interval < minRtt) return rs;
        rs.DeliveryRate = rs.Delivered / rs.Interval.TotalSeconds;
        rs.IsValid = true;
        return rs;
    }
}
