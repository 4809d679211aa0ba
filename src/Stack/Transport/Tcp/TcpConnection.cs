using System.Net.Sockets;
using Netstack.Diagnostics;
using Netstack.Time;

namespace Netstack.Transport.Tcp;

/// <summary>One TCP connection: the transmission control block and the state machine of RFC 9293 §3.10,
/// with RFC 6298 retransmission, RFC 5681/6582 congestion control, RFC 2018/6675 SACK, RFC 7323 window
/// scaling and timestamps, RFC 5961 challenge ACKs, delayed ACK, Nagle, persist and keepalive timers.
/// Driven only by <see cref="OnSegment"/>, its timers and the application calls; single-threaded.</summary>
public sealed partial class TcpConnection
{
    private const int DefaultPeerMss = 536; // RFC 9293 §3.7.1 when the peer sends no MSS option
    private const int MinimumPeerMss = 48; // Linux tcp_min_snd_mss: a hostile tiny MSS cannot shred a transfer
    private const int TimestampOptionLength = 12;

    private readonly NetworkStack _stack;
    private readonly TcpProtocol _tcp;
    private readonly TcpSettings _settings;
    private readonly StackCounters _counters;
    private readonly IScheduler _scheduler;

    // Send sequence space (RFC 9293 §3.3.1). _sndNxt is where the next new transmission starts; it moves
    // back to SND.UNA after a timeout (go-back-N) while _sndMax keeps the highest sequence ever sent.
    private SequenceNumber _iss, _sndUna, _sndNxt, _sndMax, _sndWl1, _sndWl2;
    private int _sndWnd, _maxSndWnd;
    private readonly SendBuffer _send;

    // Receive sequence space.
    private SequenceNumber _irs, _rcvAdvRight;
    /// <summary>The window our SYN or SYN-ACK advertised, grown by data received (<see cref="TcpSettings.ReceiveWindowGrowsFromSynWindow"/>).</summary>
    private int _rcvWindowCap = int.MaxValue;
    private readonly ReceiveBuffer _recv;
    private bool _synReceived, _receiveShutdown;
    private int _rcvBytesUnacked, _largestSegmentSeen;
    private bool _ackNow;
    /// <summary>The peer filled the advertised window (or the application read more than half the buffer in one
    /// receiver RTT) since the application last read everything: if it now does, the buffer grows
    /// (<see cref="TcpSettings.ReceiveBufferMaxSize"/>).</summary>
    private bool _receiveWindowFilled;
    /// <summary>Data segments still to be acknowledged at once (quick-ACK mode, TcpSettings.QuickAckSegments).</summary>
    private int _quickAcksLeft;
    /// <summary>A duplicate segment arrived: the next ACK reports [left, right) as a D-SACK block (RFC 2883).</summary>
    private bool _dsackPending;
    private SequenceNumber _dsackLeft, _dsackRight;
    /// <summary>The segment being processed brought data or the peer's FIN: the observer hears of it once the
    /// segment is done (<see cref="FinishSegment"/>), never from inside its processing.</summary>
    private bool _readablePending;

    // Our FIN and the peer's.
    private FinState _fin;

    // Negotiated options.
    private int _sndShift, _rcvShift, _ourMss, _peerMss = DefaultPeerMss;
    /// <summary>The MSS the path MTU allows (RFC 1191), lowered by ICMP "fragmentation needed".</summary>
    private int _pathMss = int.MaxValue;
    private bool _wsEnabled, _sackEnabled, _tsEnabled;
    private uint _tsRecent, _tsOffset;
    private SequenceNumber _lastAckSent;

    // Loss recovery.
    private readonly RtoEstimator _rto;
    private ICongestionController _cc = null!;
    private readonly SackScoreboard _scoreboard;
    private int _dupAcks, _retries, _persistBackoff, _keepaliveProbes;
    private SequenceNumber _highRxt, _recover;
    /// <summary>End of the last segment shorter than the MSS that was sent (Minshall's Nagle variant holds a
    /// small segment back only while an earlier small one is unacknowledged).</summary>
    private SequenceNumber _smallSentEnd;
    private bool _rttTiming, _probing;
    /// <summary>A retransmission left since the last RTT sample, carrying TSval <see cref="_lastRetransmitTsVal"/>.</summary>
    private bool _retransmittedSinceSample;
    private uint _lastRetransmitTsVal;
    /// <summary>The retransmission timer is armed with a probe timeout (RFC 8985 §7.2), not the RTO.</summary>
    private bool _ptoArmed;
    /// <summary>A tail loss probe is out and no ACK of new data has come since: no second one (RFC 8985 §7.3).</summary>
    private bool _tlpInFlight;
    /// <summary>RFC 6675 RescueRxt: the recovery point when the rescue retransmission of this recovery went.</summary>
    private SequenceNumber _rescueRxt;
    private bool _rescueRxtValid;
    private SequenceNumber _rttSeq;
    private Instant _rttStart;
    private SocketError _softError;

    /// <summary>A SYN-ACK answers a duplicate SYN only if none was sent this long before.</summary>
    private static readonly Duration DuplicateSynAnswerInterval = Duration.FromMilliseconds(500);
    private Instant _synAckSentAt = new(long.MinValue / 2);

    private readonly TcpTimer _rtxTimer, _persistTimer, _delayedAckTimer, _timeWaitTimer, _keepaliveTimer;

    internal TcpConnection(NetworkStack stack, TcpProtocol tcp, ConnectionKey key, int ourMss, TcpListenEndpoint? listener)
    {
        _stack = stack;
        _tcp = tcp;
        _settings = stack.Options.Tcp;
        _counters = stack.Counters;
        _scheduler = stack.Scheduler;
        Key = key;
        Listener = listener;
        _ourMss = ourMss;
        NoDelay = _settings.NoDelay;
        _send = new SendBuffer(_settings.SendBufferSize);
        _recv = new ReceiveBuffer(_settings.ReceiveBufferSize, _settings.MaxOutOfOrderRanges);
        _scoreboard = new SackScoreboard(_settings.MaxOutOfOrderRanges);
        _rto = new RtoEstimator(_settings.InitialRto, _settings.MinRto, _settings.MaxRto);
        _rtxTimer = new TcpTimer(_scheduler, OnRetransmissionTimeout);
        _persistTimer = new TcpTimer(_scheduler, OnPersistTimeout);
        _delayedAckTimer = new TcpTimer(_scheduler, OnDelayedAckTimeout);
        _timeWaitTimer = new TcpTimer(_scheduler, OnTimeWaitTimeout);
        _keepaliveTimer = new TcpTimer(_scheduler, OnKeepaliveTimeout);
        _tsOffset = tcp.Isn.TimestampOffset(key.LocalAddress, key.LocalPort, key.RemoteAddress, key.RemotePort);
        int shift = 0;
        int largestBuffer = Math.Max(_settings.ReceiveBufferSize, _settings.ReceiveBufferMaxSize);
        while (shift < 14 && (largestBuffer >> shift) > ushort.MaxValue) shift++;
        _rcvShift = _settings.WindowScale is { } ws ? Math.Clamp(ws, 0, 14) : shift;
    }

    /// <summary>The four-tuple, from this host's side.</summary>
    public ConnectionKey Key { get; }
    /// <summary>The RFC 9293 §3.3.2 state.</summary>
    public TcpState State { get; private set; }
    /// <summary>Who is told of establishment, readable data, room to write and closure; null until an owner
    /// attaches.</summary>
    public ITcpConnectionObserver? Observer { get; set; }
    /// <summary>The listener that created this connection, until the application accepts it.</summary>
    internal TcpListenEndpoint? Listener { get; set; }
    /// <summary>Nagle's algorithm (RFC 9293 §3.7.4) is off: small segments go out even with data in flight
    /// (TCP_NODELAY).</summary>
    public bool NoDelay { get; set; }
    /// <summary>Why the connection failed; Success while healthy or after an orderly close.</summary>
    public SocketError Error { get; private set; }

    // Read-only views of the control block, for tests and reports.
    /// <summary>ISS: our initial send sequence number (absolute, 32-bit).</summary>
    public uint InitialSendSequence => _iss.Value;
    /// <summary>SND.UNA: the oldest unacknowledged sequence number.</summary>
    public uint SendUnacknowledged => _sndUna.Value;
    /// <summary>SND.NXT: the next sequence number to send.</summary>
    public uint SendNext => _sndNxt.Value;
    /// <summary>RCV.NXT: the next sequence number expected, counting the peer's FIN once received.</summary>
    public uint ReceiveNext => RcvNxt.Value;
    /// <summary>SND.WND in bytes: the peer's advertised window, scaled.</summary>
    public int SendWindow => _sndWnd;
    /// <summary>cwnd in bytes (RFC 5681); 0 before the handshake completes.</summary>
    public int CongestionWindow => _cc?.Cwnd ?? 0;
    /// <summary>ssthresh in bytes (RFC 5681); 0 before the handshake completes.</summary>
    public int SlowStartThreshold => _cc?.Ssthresh ?? 0;
    /// <summary>The retransmission timeout to arm now (RFC 6298), backoff included.</summary>
    public Duration RetransmissionTimeout => _rto.Rto;
    /// <summary>SRTT (RFC 6298); zero until the first RTT sample.</summary>
    public Duration SmoothedRtt => _rto.SmoothedRtt;
    /// <summary>Payload bytes per full-sized segment we send (peer MSS less our options).</summary>
    public int EffectiveMss => SendMss;
    /// <summary>Both sides sent the window scale option (RFC 7323 §2).</summary>
    public bool WindowScalingEnabled => _wsEnabled;
    /// <summary>Both sides sent SACK-permitted (RFC 2018).</summary>
    public bool SackEnabled => _sackEnabled;
    /// <summary>Both sides sent timestamps (RFC 7323 §3).</summary>
    public bool TimestampsEnabled => _tsEnabled;
    /// <summary>Shift applied to windows the peer advertises (its window scale); 0 without scaling.</summary>
    public int SendShift => _sndShift;
    /// <summary>Shift applied to windows we advertise; 0 unless window scaling was agreed.</summary>
    public int ReceiveShift => _wsEnabled ? _rcvShift : 0;
    /// <summary>In-order received bytes the application has not read yet.</summary>
    public int BytesToRead => _recv.Readable;
    /// <summary>Bytes of received data the connection may hold (the window's bound): TcpSettings.ReceiveBufferSize,
    /// grown towards TcpSettings.ReceiveBufferMaxSize by auto-tuning.</summary>
    public int ReceiveBufferCapacity => _recv.Capacity;
    /// <summary>Distinct out-of-order ranges held (bounded by TcpSettings.MaxOutOfOrderRanges).</summary>
    public int OutOfOrderRanges => _recv.OutOfOrderRanges;

    /// <summary>Bytes of send and receive buffer this connection holds; rented with the first byte each way, so a
    /// half-open connection (a SYN flood's) holds none.</summary>
    public int BufferMemoryHeld => _send.MemoryHeld + _recv.MemoryHeld;
    /// <summary>Bytes the application can write before the send buffer is full.</summary>
    public int SendBufferFree => _send.Free;
    /// <summary>Bytes in the send buffer: sent but unacknowledged, plus not yet sent.</summary>
    public int BytesUnacknowledgedOrUnsent => _send.Count;
    /// <summary>In fast recovery (RFC 6582) or SACK loss recovery (RFC 6675).</summary>
    public bool InRecovery => _cc?.InRecovery ?? false;
    /// <summary>The peer has finished sending and every byte before its FIN has been read.</summary>
    public bool IsReceiveFinished => _fin.Received && _recv.Readable == 0;
    /// <summary>The application has shut down sending: our FIN is queued or sent.</summary>
    public bool IsSendShutdown => _fin.Queued;

    private SequenceNumber RcvNxt => _fin.Received ? _recv.Next + 1 : _recv.Next;
    private int SendMss => Math.Max(1, Math.Min(Math.Min(_peerMss, _ourMss), _pathMss) - (_tsEnabled ? TimestampOptionLength : 0));
    private uint TsNow => unchecked((uint)(_scheduler.Now.Nanoseconds / Duration.NanosecondsPerMillisecond) + _tsOffset);
    private SequenceNumber DataEnd => _sndUna + _send.Count; // sequence after the last buffered byte

    private bool CanSendData => State is TcpState.Established or TcpState.CloseWait or TcpState.FinWait1
        or TcpState.LastAck or TcpState.Closing;

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
        ReleaseRecoveryState();
        if (Listener is { } l)
        {
            Listener = null;
            l.OnHalfOpenGone(this);
        }
        if (was != TcpState.TimeWait) Observer?.OnClosed(this, error);
    }

    /// <summary>The four-tuple and state, for logs.</summary>
    public override string ToString() => $"{Key} {State}";
}
