using System.Net.Sockets;
using TcpListener = Netstack.Api.TcpListener;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>One TCP connection: the transmission control block and the state machine of RFC 9293 §3.10,
/// with RFC 6298 retransmission, RFC 5681/6582 congestion control, RFC 2018/6675 SACK, RFC 7323 window
/// scaling and timestamps, RFC 5961 challenge ACKs, delayed ACK, Nagle, persist and keepalive timers.
/// Driven only by <see cref="OnSegment"/>, its timers and the application calls; single-threaded.</summary>
public sealed class TcpConnection
{
    private const int DefaultPeerMss = 536; // RFC 9293 §3.7.1 when the peer sends no MSS option
    private const int TimestampOptionLength = 12;

    private readonly NetworkStack _stack;
    private readonly TcpProtocol _tcp;
    private readonly TcpOptions _opt;
    private readonly StackCounters _counters;
    private readonly IScheduler _scheduler;

    // Send sequence space (RFC 9293 §3.3.1). _sndNxt is where the next new transmission starts; it moves
    // back to SND.UNA after a timeout (go-back-N) while _sndMax keeps the highest sequence ever sent.
    private SequenceNumber _iss, _sndUna, _sndNxt, _sndMax, _sndWl1, _sndWl2;
    private int _sndWnd, _maxSndWnd;
    private readonly SendBuffer _send;
    private bool _finQueued, _finSent, _finAcked;
    // _finSent means SND.NXT is past the FIN, so a timeout's rewind clears it; _finSeq stays valid from the
    // first time the FIN went out, so an ACK of it is recognised even while SND.NXT lags behind.
    private bool _finHasSequence;
    private SequenceNumber _finSeq;

    // Receive sequence space.
    private SequenceNumber _irs, _rcvAdvRight, _peerFinSeq;
    private readonly ReceiveBuffer _recv;
    private bool _synReceived, _finReceived, _peerFinSeen, _receiveShutdown;
    private int _rcvBytesUnacked, _largestSegmentSeen;
    private bool _ackNow;

    // Negotiated options.
    private int _sndShift, _rcvShift, _ourMss, _peerMss = DefaultPeerMss;
    private bool _wsEnabled, _sackEnabled, _tsEnabled;
    private uint _tsRecent, _tsOffset;
    private SequenceNumber _lastAckSent;

    // Loss recovery.
    private readonly RtoEstimator _rto;
    private CongestionControl _cc = null!;
    private readonly SackScoreboard _scoreboard;
    private int _dupAcks, _retries, _persistBackoff, _keepaliveProbes;
    private SequenceNumber _highRxt, _recover;
    /// <summary>End of the last segment shorter than the MSS that was sent (Minshall's Nagle variant holds a
    /// small segment back only while an earlier small one is unacknowledged).</summary>
    private SequenceNumber _smallSentEnd;
    private bool _rttTiming, _probing;
    private SequenceNumber _rttSeq;
    private Instant _rttStart;
    private SocketError _softError;

    private readonly TcpTimer _rtxTimer, _persistTimer, _delayedAckTimer, _timeWaitTimer, _keepaliveTimer;

    internal TcpConnection(NetworkStack stack, TcpProtocol tcp, ConnectionKey key, int ourMss, TcpListener? listener)
    {
        _stack = stack;
        _tcp = tcp;
        _opt = stack.Options.Tcp;
        _counters = stack.Counters;
        _scheduler = stack.Scheduler;
        Key = key;
        Listener = listener;
        _ourMss = ourMss;
        NoDelay = _opt.NoDelay;
        _send = new SendBuffer(_opt.SendBufferSize);
        _recv = new ReceiveBuffer(_opt.ReceiveBufferSize, _opt.MaxOutOfOrderRanges);
        _scoreboard = new SackScoreboard(_opt.MaxOutOfOrderRanges);
        _rto = new RtoEstimator(_opt.InitialRto, _opt.MinRto, _opt.MaxRto);
        _rtxTimer = new TcpTimer(_scheduler, OnRetransmissionTimeout);
        _persistTimer = new TcpTimer(_scheduler, OnPersistTimeout);
        _delayedAckTimer = new TcpTimer(_scheduler, OnDelayedAckTimeout);
        _timeWaitTimer = new TcpTimer(_scheduler, OnTimeWaitTimeout);
        _keepaliveTimer = new TcpTimer(_scheduler, OnKeepaliveTimeout);
        _tsOffset = tcp.Isn.TimestampOffset(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort);
        int shift = 0;
        while (shift < 14 && (_opt.ReceiveBufferSize >> shift) > ushort.MaxValue) shift++;
        _rcvShift = shift;
    }

    public ConnectionKey Key { get; }
    public TcpState State { get; private set; }
    public ITcpConnectionObserver? Observer { get; set; }
    /// <summary>The listener that created this connection, until the application accepts it.</summary>
    internal TcpListener? Listener { get; set; }
    public bool NoDelay { get; set; }
    /// <summary>Why the connection failed; Success while healthy or after an orderly close.</summary>
    public SocketError Error { get; private set; }

    // Read-only views of the control block, for tests and reports.
    public uint InitialSendSequence => _iss.Value;
    public uint SendUnacknowledged => _sndUna.Value;
    public uint SendNext => _sndNxt.Value;
    public uint ReceiveNext => RcvNxt.Value;
    public int SendWindow => _sndWnd;
    public int CongestionWindow => _cc?.Cwnd ?? 0;
    public int SlowStartThreshold => _cc?.Ssthresh ?? 0;
    public TimeSpan RetransmissionTimeout => _rto.Rto;
    public TimeSpan SmoothedRtt => _rto.SmoothedRtt;
    /// <summary>Payload bytes per full-sized segment we send (peer MSS less our options).</summary>
    public int EffectiveMss => SendMss;
    public bool WindowScalingEnabled => _wsEnabled;
    public bool SackEnabled => _sackEnabled;
    public bool TimestampsEnabled => _tsEnabled;
    public int SendShift => _sndShift;
    public int ReceiveShift => _wsEnabled ? _rcvShift : 0;
    public int BytesToRead => _recv.Readable;
    /// <summary>Distinct out-of-order ranges held (bounded by TcpOptions.MaxOutOfOrderRanges).</summary>
    public int OutOfOrderRanges => _recv.OutOfOrderRanges;

    /// <summary>Bytes of send and receive buffer this connection holds; rented with the first byte each way, so a
    /// half-open connection (a SYN flood's) holds none.</summary>
    public int BufferMemoryHeld => _send.MemoryHeld + _recv.MemoryHeld;
    public int SendBufferFree => _send.Free;
    public int BytesUnacknowledgedOrUnsent => _send.Count;
    public bool InRecovery => _cc?.InRecovery ?? false;
    /// <summary>The peer has finished sending and every byte before its FIN has been read.</summary>
    public bool IsReceiveFinished => _finReceived && _recv.Readable == 0;
    public bool IsSendShutdown => _finQueued;

    private SequenceNumber RcvNxt => _finReceived ? _recv.Next + 1 : _recv.Next;
    private int SendMss => Math.Max(1, Math.Min(_peerMss, _ourMss) - (_tsEnabled ? TimestampOptionLength : 0));
    private uint TsNow => unchecked((uint)(_scheduler.Now.Nanoseconds / 1_000_000) + _tsOffset);
    private SequenceNumber DataEnd => _sndUna + _send.Count; // sequence after the last buffered byte

    private bool CanSendData => State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1
        or TcpState.LastAck or TcpState.Closing;

    // ------------------------------------------------------------------ opening

    /// <summary>OPEN, active: send a SYN (RFC 9293 §3.10.1).</summary>
    internal void OpenActive(uint iss)
    {
        InitSend(iss);
        State = TcpState.SynSent;
        EmitSyn(ack: false);
    }

    /// <summary>A SYN arrived at a listener: SYN-RECEIVED, answer with SYN-ACK (RFC 9293 §3.10.7.2).</summary>
    internal void OpenPassive(uint iss, in TcpSegment syn, in TcpHeaderOptions options)
    {
        InitSend(iss);
        ReceiveSyn(new SequenceNumber(syn.SequenceNumber), options);
        _sndWnd = syn.Window; // never scaled in a SYN (RFC 7323 §2.2)
        _maxSndWnd = _sndWnd;
        _sndWl1 = new SequenceNumber(syn.SequenceNumber);
        State = TcpState.SynReceived;
        EmitSyn(ack: true);
    }

    /// <summary>The final ACK of a handshake answered with a SYN cookie: rebuild SYN-RECEIVED from the cookie
    /// (ISS, the peer's MSS) and the ACK (IRS = SEG.SEQ - 1), then process the ACK as SYN-RECEIVED would.</summary>
    internal void OpenFromCookie(uint iss, int peerMss, in TcpSegment ack, in TcpHeaderOptions options)
    {
        InitSend(iss);
        _rttTiming = false; // the SYN-ACK's send time is not known
        var synOptions = TcpHeaderOptions.None;
        synOptions.Mss = (ushort)peerMss;
        var irs = new SequenceNumber(ack.SequenceNumber) - 1;
        ReceiveSyn(irs, synOptions);
        _sndWnd = ack.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = irs;
        State = TcpState.SynReceived;
        OnSegmentSynchronized(ack, options);
        if (State != TcpState.Closed)
        {
            Output();
            if (_ackNow) SendAck();
        }
    }

    private void InitSend(uint iss)
    {
        _iss = new SequenceNumber(iss);
        _sndUna = _iss;
        _sndNxt = _iss + 1;
        _sndMax = _sndNxt;
        _recover = _iss;
        _highRxt = _iss;
        _smallSentEnd = _iss;
        _rttTiming = true;
        _rttSeq = _iss;
        _rttStart = _scheduler.Now;
    }

    /// <summary>Learns the peer's initial sequence number and settles the options (RFC 7323 §2.2, §3.2:
    /// an option is in use only if both SYNs carried it).</summary>
    private void ReceiveSyn(SequenceNumber seq, in TcpHeaderOptions o)
    {
        _irs = seq;
        _recv.Next = seq + 1;
        _synReceived = true;
        _lastAckSent = _recv.Next;
        // The window in a SYN is unscaled, relative to the SYN's sequence number + 1.
        _rcvAdvRight = _recv.Next + Math.Min(_recv.Free, ushort.MaxValue);
        if (o.Mss != 0) _peerMss = o.Mss;
        _wsEnabled = _opt.WindowScaling && o.WindowScale >= 0;
        _sndShift = _wsEnabled ? o.WindowScale : 0;
        if (!_wsEnabled) _rcvShift = 0;
        _sackEnabled = _opt.Sack && o.SackPermitted;
        _tsEnabled = _opt.Timestamps && o.HasTimestamp;
        if (_tsEnabled) _tsRecent = o.TsVal;
        _cc = new CongestionControl(SendMss, _opt.InitialWindowSegments);
    }

    private void EmitSyn(bool ack)
    {
        Emit(_iss, ack ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Syn, 0, 0);
        if (ack) _synAckSentAt = _scheduler.Now;
        _rtxTimer.Start(_rto.Rto);
    }

    /// <summary>A SYN-ACK answers a duplicate SYN only if none was sent this long before.</summary>
    private static readonly TimeSpan DuplicateSynAnswerInterval = TimeSpan.FromMilliseconds(500);
    private Instant _synAckSentAt = new(long.MinValue / 2);

    // ------------------------------------------------------------------ segment arrival

    internal void OnSegment(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        _counters.TcpSegmentsReceived++;
        if (_opt.Keepalive && State.IsSynchronized())
        {
            _keepaliveProbes = 0;
            _keepaliveTimer.Start(_opt.KeepaliveIdle);
        }
        if (State == TcpState.SynSent)
            OnSegmentInSynSent(seg, opts);
        else if (State.IsSynchronized())
            OnSegmentSynchronized(seg, opts);
        if (State != TcpState.Closed)
        {
            Output();
            if (_ackNow) SendAck();
        }
    }

    /// <summary>RFC 9293 §3.10.7.3.</summary>
    private void OnSegmentInSynSent(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        var flags = seg.Flags;
        var ack = new SequenceNumber(seg.AcknowledgmentNumber);
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        if (hasAck && (ack <= _iss || ack > _sndMax))
        {
            if ((flags & TcpFlags.Rst) == 0) _tcp.SendReset(Key, ack.Value, 0, false);
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        if ((flags & TcpFlags.Rst) != 0)
        {
            if (hasAck) Fail(SocketError.ConnectionRefused);
            else _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        if ((flags & TcpFlags.Syn) == 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        ReceiveSyn(new SequenceNumber(seg.SequenceNumber), opts);
        _sndWnd = seg.Window;
        _maxSndWnd = _sndWnd;
        _sndWl1 = new SequenceNumber(seg.SequenceNumber);
        _sndWl2 = ack;
        if (hasAck)
        {
            SampleRttOnAck(ack, opts);
            _sndUna = ack;
            _rtxTimer.Stop();
            _retries = 0;
            Establish();
            _ackNow = true;
            // Data or a FIN riding on the SYN-ACK (RFC 9293 §3.10.7.3: continue at "sixth").
            var afterSyn = new SequenceNumber(seg.SequenceNumber) + 1;
            if (!seg.Payload.IsEmpty) ReceiveText(afterSyn, seg.Payload, 0);
            if ((flags & TcpFlags.Fin) != 0)
            {
                _peerFinSeen = true;
                _peerFinSeq = afterSyn + seg.Payload.Length;
                if (_peerFinSeq == _recv.Next) ReceiveFin();
            }
        }
        else
        {
            // Simultaneous open: SYN-RECEIVED, SYN-ACK with our original ISS.
            State = TcpState.SynReceived;
            EmitSyn(ack: true);
        }
    }

    /// <summary>RFC 9293 §3.10.7.4 for SYN-RECEIVED through TIME-WAIT, with RFC 5961 and RFC 7323 PAWS.</summary>
    private void OnSegmentSynchronized(in TcpSegment seg, in TcpHeaderOptions opts)
    {
        var flags = seg.Flags;
        var seq = new SequenceNumber(seg.SequenceNumber);
        var payload = seg.Payload;
        bool rst = (flags & TcpFlags.Rst) != 0, syn = (flags & TcpFlags.Syn) != 0, fin = (flags & TcpFlags.Fin) != 0;

        // A retransmitted SYN while our SYN-ACK is unacknowledged: our SYN-ACK was lost, send it again, unless
        // one left just now (our own retransmission crossing the peer's SYN would otherwise go out twice; Linux
        // limits these answers the same way, tcp_invalid_ratelimit).
        if (State == TcpState.SynReceived && syn && !rst && (flags & TcpFlags.Ack) == 0 && seq == _irs)
        {
            if (_scheduler.Now - _synAckSentAt >= DuplicateSynAnswerInterval)
            {
                Emit(_iss, TcpFlags.Syn | TcpFlags.Ack, 0, 0);
                _synAckSentAt = _scheduler.Now;
            }
            return;
        }

        // Simultaneous open (RFC 9293 figure 8): the peer's SYN-ACK completes our SYN-RECEIVED. Its SYN
        // lies just before RCV.NXT, so it is recognised here rather than as an old duplicate.
        if (State == TcpState.SynReceived && Listener is null && syn && !rst && (flags & TcpFlags.Ack) != 0 && seq == _irs)
        {
            var synAckAck = new SequenceNumber(seg.AcknowledgmentNumber);
            if (_sndUna < synAckAck && synAckAck <= _sndMax)
            {
                _sndUna = synAckAck;
                _sndWnd = seg.Window;
                _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
                _sndWl1 = seq;
                _sndWl2 = synAckAck;
                _rtxTimer.Stop();
                _retries = 0;
                Establish();
                return;
            }
        }

        // PAWS (RFC 7323 §5.3): an old timestamp marks an old duplicate.
        if (_tsEnabled && opts.HasTimestamp && !rst && unchecked((int)(opts.TsVal - _tsRecent)) < 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            _ackNow = true;
            return;
        }

        // First: sequence number acceptability.
        int segLen = payload.Length + (syn ? 1 : 0) + (fin ? 1 : 0);
        var rcvNxt = RcvNxt;
        int rcvWnd = Math.Max(0, _rcvAdvRight - rcvNxt);
        bool acceptable = segLen == 0
            ? rcvWnd == 0 ? seq == rcvNxt : seq.InRange(rcvNxt, rcvNxt + rcvWnd)
            : rcvWnd == 0
                ? seq == rcvNxt // a zero-window probe: process its ACK, drop its data (RFC 9293 §3.8.6.1)
                : seq.InRange(rcvNxt, rcvNxt + rcvWnd) || (seq + (segLen - 1)).InRange(rcvNxt, rcvNxt + rcvWnd);
        if (!acceptable)
        {
            // In TIME-WAIT the only thing expected is the peer's FIN again: ACK it, restart the 2 MSL wait.
            if (State == TcpState.TimeWait && fin && !rst && seq + payload.Length == _recv.Next)
                _timeWaitTimer.Start(_opt.TimeWaitDuration);
            _counters.Drop(DropReason.TcpUnacceptable);
            // RFC 5961 §4.2: a SYN draws a (rate-limited) challenge ACK whatever its sequence number.
            if (syn && !rst) ChallengeAck();
            else if (!rst) _ackNow = true;
            return;
        }

        // Second: RST (RFC 5961 §3.2: only an exact match resets; in-window draws a challenge ACK).
        if (rst)
        {
            if (seq == rcvNxt) OnAcceptableReset();
            else ChallengeAck();
            return;
        }

        // Fourth: SYN in a synchronized state (RFC 5961 §4). A half-open connection from a passive OPEN
        // just returns to LISTEN (RFC 9293 §3.10.7.4 fourth).
        if (syn)
        {
            if (State == TcpState.SynReceived && Listener is not null)
            {
                Terminate(SocketError.ConnectionReset);
                return;
            }
            ChallengeAck();
            return;
        }

        // Fifth: ACK.
        if ((flags & TcpFlags.Ack) == 0)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        var ack = new SequenceNumber(seg.AcknowledgmentNumber);
        if (State == TcpState.SynReceived)
        {
            if (!(_sndUna < ack && ack <= _sndMax))
            {
                _tcp.SendReset(Key, ack.Value, 0, false);
                return;
            }
            SampleRttOnAck(ack, opts);
            _sndUna = ack;
            _sndWnd = seg.Window << _sndShift;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = ack;
            _rtxTimer.Stop();
            _retries = 0;
            Establish();
        }
        if (!ProcessAck(seg, opts, seq, ack)) return;
        if (State == TcpState.Closed) return;

        // TS.Recent update (RFC 7323 §4.3): only for segments covering Last.ACK.sent.
        if (_tsEnabled && opts.HasTimestamp && seq <= _lastAckSent && unchecked((int)(opts.TsVal - _tsRecent)) >= 0)
            _tsRecent = opts.TsVal;

        // Seventh: segment text.
        if (payload.Length > 0) ReceiveText(seq, payload, rcvWnd);

        // Eighth: FIN (held until every byte before it has arrived).
        if (fin)
        {
            var finSeq = seq + payload.Length;
            if (finSeq >= _recv.Next && !_finReceived)
            {
                _peerFinSeen = true;
                _peerFinSeq = finSeq;
                if (finSeq > _recv.Next) _ackNow = true; // held out of order: duplicate ACK (RFC 5681 §4.2)
            }
            else if (_finReceived && State == TcpState.TimeWait)
            {
                // A retransmitted FIN: acknowledge it and restart the 2 MSL wait.
                _ackNow = true;
                _timeWaitTimer.Start(_opt.TimeWaitDuration);
            }
            else _ackNow = true;
        }
        if (_peerFinSeen && !_finReceived && _peerFinSeq == _recv.Next) ReceiveFin();
    }

    private void Establish()
    {
        bool hadListener = Listener is not null;
        if (_finQueued)
        {
            // The application closed during the handshake: the FIN goes out now.
            State = TcpState.FinWait1;
        }
        else State = TcpState.Established;
        if (_opt.Keepalive) _keepaliveTimer.Start(_opt.KeepaliveIdle);
        if (hadListener) Listener!.OnEstablished(this);
        else Observer?.OnEstablished(this);
    }

    /// <summary>RFC 9293 §3.10.7.4 "fifth", plus RFC 5961 §5 ACK range check, congestion control and
    /// SACK. Returns false when the segment must be dropped.</summary>
    private bool ProcessAck(in TcpSegment seg, in TcpHeaderOptions opts, SequenceNumber seq, SequenceNumber ack)
    {
        if (ack > _sndMax)
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            _ackNow = true;
            return false;
        }
        if (ack < _sndUna - Math.Max(_maxSndWnd, 1))
        {
            _counters.Drop(DropReason.TcpUnacceptable);
            ChallengeAck();
            return false;
        }
        int oldWnd = _sndWnd;
        if (_sndWl1 < seq || (_sndWl1 == seq && _sndWl2 <= ack))
        {
            _sndWnd = seg.Window << _sndShift;
            _maxSndWnd = Math.Max(_maxSndWnd, _sndWnd);
            _sndWl1 = seq;
            _sndWl2 = ack;
        }
        bool sackNew = false;
        if (_sackEnabled)
            for (int i = 0; i < opts.SackBlockCount; i++)
                sackNew |= _scoreboard.Add(new SequenceNumber(opts.SackBlocks[i].Left),
                    new SequenceNumber(opts.SackBlocks[i].Right), ack, _sndMax);

        if (ack > _sndUna) OnNewAck(ack, opts);
        else if (ack == _sndUna && _sndMax > _sndUna && seg.Payload.IsEmpty
                 && (seg.Flags & (TcpFlags.Syn | TcpFlags.Fin)) == 0 && (_sackEnabled ? sackNew : _sndWnd == oldWnd))
            OnDuplicateAck();

        if (_probing && _sndWnd > 0)
        {
            // The window opened: leave persist mode; an unacknowledged probe byte is sent again as data.
            _probing = false;
            _persistTimer.Stop();
            _persistBackoff = 0;
            if (_sndNxt > _sndUna && !_rtxTimer.IsRunning) _sndNxt = _sndUna;
        }

        if (_finHasSequence && !_finAcked && ack > _finSeq)
        {
            _finSent = true;
            _finAcked = true;
            switch (State)
            {
                case TcpState.FinWait1:
                    State = TcpState.FinWait2;
                    StartOrphanTimeout();
                    break;
                case TcpState.Closing:
                    EnterTimeWait();
                    break;
                case TcpState.LastAck:
                    Terminate(SocketError.Success);
                    return false;
            }
        }
        return true;
    }

    private void OnNewAck(SequenceNumber ack, in TcpHeaderOptions opts)
    {
        int acked = ack - _sndUna;
        // Grow the window only while it limits sending (RFC 7661 §4.1 / RFC 5681 §3.1 note): an
        // application-limited sender must not inflate cwnd it never used.
        bool cwndLimited = _sndMax - _sndUna + SendMss >= _cc.Cwnd;
        SampleRttOnAck(ack, opts);
        int dataAcked = Math.Min(acked, _send.Count);
        _send.Consume(dataAcked);
        _sndUna = ack;
        if (_sndNxt < _sndUna) _sndNxt = _sndUna;
        if (_highRxt < _sndUna) _highRxt = _sndUna;
        _scoreboard.AdvanceTo(ack);
        _retries = 0;
        _dupAcks = 0;
        if (_cc.InRecovery)
        {
            if (ack >= _cc.RecoveryPoint) _cc.ExitRecovery(_sndMax - _sndUna);
            else if (!_sackEnabled)
            {
                // NewReno partial ACK (RFC 6582 §3.2 step 5): the next hole is lost too.
                RetransmitAt(_sndUna, SendMss);
                _cc.OnPartialAck(acked);
            }
        }
        else if (cwndLimited) _cc.OnNewAck(acked);

        if (_sndUna == _sndMax) _rtxTimer.Stop();
        else _rtxTimer.Start(_rto.Rto); // RFC 6298 (5.3)
        if (dataAcked > 0) Observer?.OnWritable(this);
    }

    private void OnDuplicateAck()
    {
        _dupAcks++;
        if (_cc.InRecovery)
        {
            if (!_sackEnabled) _cc.OnDupAckInRecovery();
            return;
        }
        bool lossDetected = _dupAcks >= 3 || (_sackEnabled && _scoreboard.IsLost(_sndUna, SendMss));
        // RFC 6582 §3.2 step 2: no new fast retransmit for losses from before the last recovery or timeout.
        if (!lossDetected || (_sndUna < _recover && _recover != _iss) || _sndNxt != _sndMax) return;
        _cc.EnterRecovery(_sndMax - _sndUna, _sndMax, inflateForDupAcks: !_sackEnabled);
        _highRxt = _sndUna + RetransmitAt(_sndUna, SendMss);
    }

    /// <summary>RTT measurement: from the timestamp echo when timestamps are in use (RFC 7323 §4),
    /// otherwise from one timed segment at a time, never a retransmitted one (Karn).</summary>
    private void SampleRttOnAck(SequenceNumber ack, in TcpHeaderOptions opts)
    {
        if (_tsEnabled && opts.HasTimestamp && opts.TsEcr != 0)
        {
            _rttTiming = false;
            _rto.AddSample(TimeSpan.FromMilliseconds(unchecked((int)(TsNow - opts.TsEcr))));
            return;
        }
        if (_rttTiming && ack > _rttSeq)
        {
            _rttTiming = false;
            _rto.AddSample(_scheduler.Now - _rttStart);
        }
    }

    private void OnAcceptableReset()
    {
        switch (State)
        {
            case TcpState.SynReceived when Listener is not null:
                // From a passive open: back to LISTEN, i.e. this half-open connection just goes away.
                Terminate(SocketError.ConnectionReset);
                break;
            case TcpState.SynReceived:
                Fail(SocketError.ConnectionRefused);
                break;
            case TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait:
                Fail(SocketError.ConnectionReset);
                break;
            default:
                Terminate(SocketError.Success);
                break;
        }
    }

    private void ReceiveText(SequenceNumber seq, ReadOnlySpan<byte> payload, int rcvWnd)
    {
        if (State is not (TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2))
            return; // after the peer's FIN there is no more text to take (RFC 9293 "seventh")
        if (_receiveShutdown)
        {
            // RFC 1122 §4.2.2.13: data for an application that has closed: reset.
            _tcp.SendReset(Key, _sndNxt.Value, RcvNxt.Value, true);
            Fail(SocketError.ConnectionReset);
            return;
        }
        int skip = _recv.Next - seq;
        if (skip > 0)
        {
            if (skip >= payload.Length)
            {
                _ackNow = true; // all duplicate
                return;
            }
            payload = payload[skip..];
            seq += skip;
        }
        if (payload.Length > _largestSegmentSeen) _largestSegmentSeen = payload.Length;
        var before = _recv.Next;
        var result = _recv.Write(seq, payload);
        switch (result)
        {
            case ReceiveBuffer.WriteResult.InOrder:
                _rcvBytesUnacked += _recv.Next - before;
                if (!_opt.DelayedAck || _rcvBytesUnacked >= 2 * _largestSegmentSeen || _recv.Next - before < payload.Length)
                    _ackNow = true; // every second full-sized segment, or data was cut by the window
                else if (!_delayedAckTimer.IsRunning)
                    _delayedAckTimer.Start(_opt.DelayedAckTimeout);
                break;
            case ReceiveBuffer.WriteResult.QueueFull:
                _counters.Drop(DropReason.TcpOutOfOrderQueueFull);
                _ackNow = true;
                break;
            case ReceiveBuffer.WriteResult.Duplicate:
                _counters.Drop(DropReason.TcpReceiveBufferFull);
                _ackNow = true;
                break;
            default:
                // Out of order (a duplicate ACK carrying SACK) or a hole filled: acknowledge at once (RFC 5681 §4.2).
                _ackNow = true;
                break;
        }
        if (_recv.Next != before) Observer?.OnReadable(this);
    }

    private void ReceiveFin()
    {
        _finReceived = true;
        _ackNow = true;
        switch (State)
        {
            case TcpState.SynReceived or TcpState.Established:
                State = TcpState.CloseWait;
                break;
            case TcpState.FinWait1:
                if (_finAcked) EnterTimeWait();
                else State = TcpState.Closing;
                break;
            case TcpState.FinWait2:
                EnterTimeWait();
                break;
        }
        Observer?.OnReadable(this);
    }

    private void EnterTimeWait()
    {
        State = TcpState.TimeWait;
        _rtxTimer.Stop();
        _persistTimer.Stop();
        _keepaliveTimer.Stop();
        _timeWaitTimer.Start(_opt.TimeWaitDuration);
        _send.Release();
        Observer?.OnClosed(this, SocketError.Success);
    }

    /// <summary>RFC 6191: a new SYN may reopen a connection in TIME-WAIT if it is clearly newer
    /// (a higher timestamp, or without timestamps a higher sequence number).</summary>
    internal bool AcceptsNewIncarnation(in TcpSegment syn, in TcpHeaderOptions opts)
    {
        if (State != TcpState.TimeWait) return false;
        if (_tsEnabled && opts.HasTimestamp) return unchecked((int)(opts.TsVal - _tsRecent)) > 0;
        return new SequenceNumber(syn.SequenceNumber) > RcvNxt;
    }

    private void ChallengeAck()
    {
        if (_tcp.TryTakeChallengeAck())
        {
            _counters.TcpChallengeAcksSent++;
            _ackNow = true;
        }
        else _counters.Drop(DropReason.TcpChallengeAckRateLimited);
    }

    // ------------------------------------------------------------------ sending

    /// <summary>Sends what the windows, Nagle (RFC 896, with Minshall's refinement) and SWS avoidance allow (RFC 9293 §3.8.6.2.1),
    /// or in SACK recovery what the pipe allows (RFC 6675 §5).</summary>
    private void Output()
    {
        if (!CanSendData || _cc is null) return;
        if (_cc.InRecovery && _sackEnabled) SackRecoveryOutput();
        int mss = SendMss;
        while (true)
        {
            var dataEnd = DataEnd;
            int unsent = dataEnd - _sndNxt;
            int inFlight = _sndNxt - _sndUna;
            bool finPending = _finQueued && !_finSent;
            if (unsent <= 0)
            {
                if (finPending && unsent == 0 && !_probing) SendNew(0, fin: true);
                break;
            }
            if (_probing) break;
            int window = Math.Min(_sndWnd, _cc.InRecovery && _sackEnabled ? 0 : _cc.Cwnd);
            int usable = window - inFlight;
            int len = Math.Min(Math.Min(mss, unsent), usable);
            if (len <= 0) break;
            if (len < mss)
            {
                bool allQueued = len == unsent;
                // Nagle as Minshall refined it (and Linux does): a short segment waits only for the ACK of an
                // earlier short one, not of full-sized data, so a write's short tail does not sit out the
                // peer's delayed ACK.
                bool nagleAllows = NoDelay || inFlight == 0 || !(_smallSentEnd > _sndUna);
                bool sendable = allQueued ? nagleAllows : len >= _maxSndWnd / 2 && nagleAllows;
                if (!sendable) break;
            }
            SendNew(len, fin: finPending && len == unsent);
        }
        // Nothing in flight and data we may not send: the persist timer probes or overrides SWS.
        if (DataEnd - _sndNxt > 0 && _sndNxt == _sndUna && !_rtxTimer.IsRunning && !_persistTimer.IsRunning)
            StartPersist();
    }

    private void SackRecoveryOutput()
    {
        int mss = SendMss;
        for (int guard = 0; guard < 1000; guard++)
        {
            int pipe = _scoreboard.Pipe(_sndUna, _sndMax, _highRxt, mss);
            if (_cc.Cwnd - pipe < mss) return;
            var from = SequenceNumber.Max(_highRxt, _sndUna);
            if (_scoreboard.NextHole(from, lostOnly: true, mss, out var start, out var end))
            {
                _highRxt = start + RetransmitAt(start, Math.Min(mss, end - start));
                continue;
            }
            int unsent = DataEnd - _sndNxt;
            int usable = _sndUna + _sndWnd - _sndNxt;
            int len = Math.Min(Math.Min(mss, unsent), usable);
            if (len > 0 && _sndNxt == _sndMax)
            {
                SendNew(len, fin: _finQueued && !_finSent && len == unsent);
                continue;
            }
            if (_scoreboard.NextHole(from, lostOnly: false, mss, out start, out end))
            {
                _highRxt = start + RetransmitAt(start, Math.Min(mss, end - start));
                continue;
            }
            return;
        }
    }

    private void SendNew(int len, bool fin)
    {
        var seq = _sndNxt;
        var flags = TcpFlags.Ack;
        if (len > 0 && len == DataEnd - seq) flags |= TcpFlags.Psh;
        if (fin) flags |= TcpFlags.Fin;
        bool retransmission = seq < _sndMax;
        if (retransmission)
        {
            _counters.TcpRetransmissions++;
            if (_rttTiming && seq <= _rttSeq) _rttTiming = false; // Karn
        }
        else if (!_rttTiming && !_tsEnabled && len > 0)
        {
            _rttTiming = true;
            _rttSeq = seq;
            _rttStart = _scheduler.Now;
        }
        Emit(seq, flags, seq - _sndUna, len);
        if (len > 0 && len < SendMss && !retransmission) _smallSentEnd = seq + len;
        _sndNxt = seq + len + (fin ? 1 : 0);
        if (_sndNxt > _sndMax) _sndMax = _sndNxt;
        if (fin)
        {
            _finSent = true;
            _finHasSequence = true;
            _finSeq = seq + len;
        }
        if (!_rtxTimer.IsRunning)
        {
            _rtxTimer.Start(_rto.Rto);
            _persistTimer.Stop();
        }
    }

    /// <summary>Sends up to <paramref name="maxLen"/> bytes again from <paramref name="seq"/> (with the
    /// FIN if it was sent and the segment reaches it). Returns the sequence space covered.</summary>
    private int RetransmitAt(SequenceNumber seq, int maxLen)
    {
        int offset = seq - _sndUna;
        int len = Math.Max(0, Math.Min(maxLen, _send.Count - offset));
        bool fin = _finSent && seq + len == _finSeq;
        if (len == 0 && !fin) return 0;
        var flags = TcpFlags.Ack | (fin ? TcpFlags.Fin : 0);
        _counters.TcpRetransmissions++;
        if (_rttTiming && seq <= _rttSeq) _rttTiming = false; // Karn
        Emit(seq, flags, offset, len);
        if (!_rtxTimer.IsRunning) _rtxTimer.Start(_rto.Rto);
        return len + (fin ? 1 : 0);
    }

    private void SendAck() => Emit(_sndNxt, TcpFlags.Ack, 0, 0);

    /// <summary>Builds and sends one segment: options first, then payload from the send buffer, then
    /// the header with its checksum over all of it.</summary>
    private void Emit(SequenceNumber seq, TcpFlags flags, int dataOffset, int len)
    {
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool hasAck = (flags & TcpFlags.Ack) != 0;
        var o = TcpHeaderOptions.None;
        if (syn)
        {
            o.Mss = (ushort)Math.Min(_ourMss, ushort.MaxValue);
            bool synAck = hasAck;
            if (synAck ? _wsEnabled : _opt.WindowScaling) o.WindowScale = (sbyte)_rcvShift;
            o.SackPermitted = synAck ? _sackEnabled : _opt.Sack;
            o.HasTimestamp = synAck ? _tsEnabled : _opt.Timestamps;
        }
        else
        {
            o.HasTimestamp = _tsEnabled;
            if (_sackEnabled && _recv.OutOfOrderRanges > 0)
                _recv.FillSackBlocks(ref o, _tsEnabled ? 3 : 4);
        }
        if (o.HasTimestamp)
        {
            o.TsVal = TsNow;
            o.TsEcr = hasAck ? _tsRecent : 0;
        }
        var rcvNxt = RcvNxt;
        ushort window = AdvertiseWindow(syn);
        int headerLength = TcpSegment.MinHeaderLength + o.Length;
        var buffer = _stack.Buffers.Rent(headerLength + len);
        var segment = buffer.Append(headerLength + len);
        o.Write(segment[TcpSegment.MinHeaderLength..]);
        // The payload is summed while it is copied in; the header adds its own words to that sum.
        ulong payloadSum = len > 0 ? _send.CopyToAndSum(dataOffset, segment.Slice(headerLength, len)) : 0;
        TcpSegment.WriteHeader(segment, Key.LocalPort, Key.RemotePort, seq.Value, hasAck ? rcvNxt.Value : 0,
            headerLength, flags, window, Key.LocalAddress, Key.RemoteAddress, payloadSum);
        if (hasAck)
        {
            _lastAckSent = rcvNxt;
            _ackNow = false;
            _rcvBytesUnacked = 0;
            _delayedAckTimer.Stop();
        }
        _counters.TcpSegmentsSent++;
        _stack.Ipv4.Send(buffer, Key.LocalAddress, Key.RemoteAddress, IpProtocol.Tcp, dontFragment: true);
    }

    /// <summary>The window to advertise, moving the right edge only by at least min(buffer/2, MSS)
    /// (receiver SWS avoidance, RFC 9293 §3.8.6.2.2) and never back (RFC 9293 §3.8.6).</summary>
    private ushort AdvertiseWindow(bool syn)
    {
        // Before scaling is agreed the window field is taken literally (RFC 7323 §2.2); ReceiveSyn set
        // the right edge a SYN-ACK advertises.
        if (syn) return (ushort)Math.Min(_synReceived ? Math.Max(0, _rcvAdvRight - RcvNxt) : _recv.Free, ushort.MaxValue);
        if (!_synReceived) return 0;
        var rcvNxt = RcvNxt;
        var potential = _recv.Next + _recv.Free;
        int step = Math.Min(_recv.Capacity / 2, _ourMss);
        if (potential - _rcvAdvRight >= step || _rcvAdvRight < rcvNxt) _rcvAdvRight = SequenceNumber.Max(potential, rcvNxt);
        int wnd = Math.Max(0, _rcvAdvRight - rcvNxt);
        int shift = _wsEnabled ? _rcvShift : 0;
        if ((wnd >> shift) > ushort.MaxValue)
        {
            // Capped by the field: the peer sees a smaller window than the buffer allows.
            _rcvAdvRight = rcvNxt + (ushort.MaxValue << shift);
            return ushort.MaxValue;
        }
        return (ushort)(wnd >> shift);
    }

    // ------------------------------------------------------------------ timers

    private void OnRetransmissionTimeout()
    {
        switch (State)
        {
            case TcpState.SynSent:
                if (++_retries > _opt.SynRetries)
                {
                    Fail(_softError != SocketError.Success ? _softError : SocketError.TimedOut);
                    return;
                }
                _rto.Backoff();
                _rttTiming = false;
                _counters.TcpRetransmissions++;
                EmitSyn(ack: false);
                return;
            case TcpState.SynReceived:
                if (++_retries > _opt.SynAckRetries)
                {
                    Fail(SocketError.TimedOut);
                    return;
                }
                _rto.Backoff();
                _rttTiming = false;
                _counters.TcpRetransmissions++;
                EmitSyn(ack: true);
                return;
        }
        if (!CanSendData || _sndUna == _sndMax) return;
        if (++_retries > _opt.DataRetries)
        {
            Fail(_softError != SocketError.Success ? _softError : SocketError.TimedOut);
            return;
        }
        // RFC 6298 (5.4)-(5.6) and RFC 5681 (4): one segment from SND.UNA, slow start from a loss window.
        _rttTiming = false;
        _cc.OnRetransmissionTimeout(_sndMax - _sndUna);
        _recover = _sndMax;
        _dupAcks = 0;
        _scoreboard.Clear();
        _highRxt = _sndUna;
        _rto.Backoff();
        _sndNxt = _sndUna;
        if (_finSent && _sndNxt <= _finSeq) _finSent = false;
        _probing = false;
        Output();
        if (_sndNxt == _sndUna)
        {
            // The window is closed (or Nagle held back): send the first segment regardless.
            int len = Math.Min(SendMss, _send.Count);
            if (len > 0 || _finQueued) SendNew(len, fin: _finQueued && len == _send.Count);
        }
        _rtxTimer.Start(_rto.Rto);
    }

    private void StartPersist()
    {
        var interval = _rto.Rto;
        for (int i = 0; i < _persistBackoff && interval < _opt.MaxRto; i++) interval *= 2;
        if (interval > _opt.MaxRto) interval = _opt.MaxRto;
        _persistTimer.Start(interval);
    }

    /// <summary>Persist timer (RFC 9293 §3.8.6.1): probe a zero window with one byte, backing off; or,
    /// when a small window is open but SWS avoidance held data back, send what fits.</summary>
    private void OnPersistTimeout()
    {
        if (!CanSendData) return;
        int unsent = DataEnd - _sndUna;
        if (unsent <= 0) return;
        if (_sndWnd == 0 || _probing)
        {
            _probing = true;
            _counters.TcpWindowProbesSent++;
            Emit(_sndUna, TcpFlags.Ack, 0, 1);
            if (_sndNxt == _sndUna) _sndNxt = _sndUna + 1;
            if (_sndMax < _sndNxt) _sndMax = _sndNxt;
            _persistBackoff++;
            StartPersist();
            return;
        }
        int len = Math.Min(Math.Min(SendMss, unsent), _sndWnd);
        SendNew(len, fin: false);
    }

    private void OnDelayedAckTimeout()
    {
        if (State.IsSynchronized() && State != TcpState.TimeWait) SendAck();
    }

    private void OnTimeWaitTimeout() => Terminate(SocketError.Success);

    private void OnKeepaliveTimeout()
    {
        if (!_opt.Keepalive || State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait2)) return;
        if (_keepaliveProbes >= _opt.KeepaliveProbes)
        {
            Fail(SocketError.TimedOut);
            return;
        }
        _keepaliveProbes++;
        _counters.TcpKeepalivesSent++;
        // RFC 1122 §4.2.3.6: SEG.SEQ = SND.NXT - 1, no data, to elicit an ACK.
        Emit(_sndUna - 1, TcpFlags.Ack, 0, 0);
        _keepaliveTimer.Start(_opt.KeepaliveInterval);
    }

    // ------------------------------------------------------------------ ICMP

    /// <summary>RFC 1122 §4.2.3.9 / RFC 5461: port and protocol unreachable abort a connection attempt
    /// (hard errors); other errors are soft: remembered and reported only if the connection times out.</summary>
    internal void OnIcmpError(in Network.IcmpErrorReport error, uint seq)
    {
        var s = new SequenceNumber(seq);
        if (s < _sndUna || s > _sndMax) return; // RFC 5927 §4.1: not about data in flight
        if (error.Type != IcmpType.DestinationUnreachable)
        {
            _softError = SocketError.HostUnreachable;
            return;
        }
        var code = (UnreachableCode)error.Code;
        if (code is UnreachableCode.Port or UnreachableCode.Protocol)
        {
            if (State == TcpState.SynSent) Fail(SocketError.ConnectionRefused);
            else _softError = SocketError.ConnectionRefused;
            return;
        }
        if (code == UnreachableCode.FragmentationNeeded) return;
        _softError = code == UnreachableCode.Network ? SocketError.NetworkUnreachable : SocketError.HostUnreachable;
    }

    // ------------------------------------------------------------------ application calls

    /// <summary>Queues up to <paramref name="data"/>.Length bytes; returns how many fit.</summary>
    public int Send(ReadOnlySpan<byte> data)
    {
        if (Error != SocketError.Success) throw new SocketException((int)Error);
        if (_finQueued || State is TcpState.Closed or TcpState.TimeWait)
            throw new InvalidOperationException("the send side of this connection is shut down");
        int n = _send.Write(data);
        if (n > 0) Output();
        return n;
    }

    /// <summary>Takes received bytes; 0 when none are waiting (see <see cref="IsReceiveFinished"/>).
    /// Sends a window update when reading opened the window enough to matter.</summary>
    public int Receive(Span<byte> destination)
    {
        int n = _recv.Read(destination);
        if (n > 0 && _synReceived && State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            var potential = _recv.Next + _recv.Free;
            if (potential - _rcvAdvRight >= Math.Min(_recv.Capacity / 2, 2 * _ourMss)) SendAck();
        }
        return n;
    }

    /// <summary>CLOSE (RFC 9293 §3.10.4): no more data from us; a FIN follows what is queued.</summary>
    public void Close()
    {
        switch (State)
        {
            case TcpState.SynSent:
                Fail(SocketError.OperationAborted);
                return;
            case TcpState.SynReceived:
                _finQueued = true;
                return;
            case TcpState.Established:
                _finQueued = true;
                State = TcpState.FinWait1;
                break;
            case TcpState.CloseWait:
                _finQueued = true;
                State = TcpState.LastAck;
                break;
            default:
                return;
        }
        Output();
    }

    /// <summary>The application will read no more: later data draws a reset (RFC 1122 §4.2.2.13).</summary>
    public void ShutdownReceive()
    {
        _receiveShutdown = true;
        StartOrphanTimeout();
    }

    /// <summary>A FIN-WAIT-2 connection nobody will read from could wait for the peer's FIN forever;
    /// like Linux's tcp_fin_timeout, give it as long as TIME-WAIT lasts, then drop it.</summary>
    private void StartOrphanTimeout()
    {
        if (_receiveShutdown && State == TcpState.FinWait2) _timeWaitTimer.Start(_opt.TimeWaitDuration);
    }

    /// <summary>ABORT (RFC 9293 §3.10.5): reset the peer and drop everything.</summary>
    /// <summary>SND.NXT, or the right edge of the peer's window when SND.NXT has passed it (a zero-window probe
    /// byte): a reset beyond the window is dropped by the peer (RFC 5961 §3; Linux's tcp_acceptable_seq).</summary>
    private SequenceNumber AcceptableSequence => _sndUna + _sndWnd < _sndNxt ? _sndUna + _sndWnd : _sndNxt;

    public void Abort()
    {
        if (State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2
            or TcpState.CloseWait)
            _tcp.SendReset(Key, AcceptableSequence.Value, 0, false);
        if (State != TcpState.Closed) Fail(SocketError.OperationAborted);
        _recv.Release();
    }

    private void Fail(SocketError error)
    {
        if (Error == SocketError.Success) Error = error;
        Terminate(error);
    }

    /// <summary>CLOSED: forget the connection; tell the owner once.</summary>
    internal void Terminate(SocketError error)
    {
        if (State == TcpState.Closed) return;
        var was = State;
        State = TcpState.Closed;
        _rtxTimer.Stop();
        _persistTimer.Stop();
        _delayedAckTimer.Stop();
        _timeWaitTimer.Stop();
        _keepaliveTimer.Stop();
        _tcp.Remove(this);
        _send.Release();
        if (Listener is { } l)
        {
            Listener = null;
            l.OnHalfOpenGone(this);
        }
        if (was != TcpState.TimeWait) Observer?.OnClosed(this, error);
    }

    public override string ToString() => $"{Key} {State}";
}
