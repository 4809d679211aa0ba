using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>A TCP port in LISTEN (RFC 9293 §3.10.7.2): answers SYNs with SYN-ACKs up to a backlog of
/// connections not yet accepted (half-open included), falls back to SYN cookies when half-open connections
/// fill it, and queues established connections until they are taken. The application's listener wraps this
/// and is told through <see cref="ITcpListenObserver"/> when a connection can be taken.</summary>
public sealed class TcpListenEndpoint
{
    private readonly TcpProtocol _tcp;
    private readonly Queue<TcpConnection> _ready = new();
    private readonly HashSet<TcpConnection> _halfOpen = new();
    private Instant? _cookieSentAt;

    internal TcpListenEndpoint(TcpProtocol tcp, ushort port, int backlog)
    {
        _tcp = tcp;
        LocalPort = port;
        Backlog = backlog;
    }

    /// <summary>The port listened on.</summary>
    public ushort LocalPort { get; }
    /// <summary>Most connections held at once, half-open plus established but not yet accepted.</summary>
    public int Backlog { get; }
    /// <summary>Established connections waiting to be accepted.</summary>
    public int PendingAccepts => _ready.Count;
    /// <summary>Connections in SYN-RECEIVED (our SYN-ACK sent, no final ACK yet).</summary>
    public int HalfOpen => _halfOpen.Count;
    /// <summary>The listener was closed: its port is free again and its pending connections were aborted.</summary>
    public bool IsClosed { get; private set; }
    internal ITcpListenObserver? Observer { get; set; }

    /// <summary>Takes the oldest established connection not yet accepted.</summary>
    public bool TryAccept(out TcpConnection connection) => _ready.TryDequeue(out connection!);

    internal void OnSegment(ConnectionKey key, in TcpSegment seg, in TcpHeaderOptions options)
    {
        var flags = seg.Flags;
        if ((flags & TcpFlags.Rst) != 0) return;
        if ((flags & TcpFlags.Ack) != 0)
        {
            // Cookies are checked only while they may be in flight, so a stray ACK is reset as usual.
            if ((flags & TcpFlags.Syn) == 0 && _cookieSentAt is { } sent
                && _tcp.Stack.Scheduler.Now - sent < SynCookies.Period + SynCookies.Period
                && _ready.Count < Backlog && _tcp.TryOpenFromCookie(this, key, seg, options))
                return;
            _tcp.ResetUnexpected(key, seg);
            return;
        }
        if ((flags & TcpFlags.Syn) == 0)
        {
            _tcp.Stack.Counters.Drop(DropReason.TcpUnacceptable);
            return;
        }
        if (_halfOpen.Count + _ready.Count >= Backlog && _ready.Count < Backlog && _tcp.Settings.SynCookies)
        {
            // Half-open connections fill the backlog (a SYN flood?): answer without keeping state.
            _cookieSentAt = _tcp.Stack.Scheduler.Now;
            _tcp.SendSynCookie(key, seg, options);
            return;
        }
        if (_halfOpen.Count + _ready.Count >= Backlog)
        {
            // Like Linux: drop silently so the client retries, rather than refuse.
            _tcp.Stack.Counters.Drop(DropReason.TcpBacklogFull);
            return;
        }
        _halfOpen.Add(_tcp.OpenPassive(this, key, seg, options));
    }

    internal void OnEstablished(TcpConnection connection)
    {
        _halfOpen.Remove(connection);
        connection.Listener = null;
        _ready.Enqueue(connection);
        Observer?.OnAcceptable(this);
    }

    internal void OnHalfOpenGone(TcpConnection connection) => _halfOpen.Remove(connection);

    /// <summary>Stops listening; connections not yet accepted, half-open or established, are reset.</summary>
    public void Close()
    {
        if (IsClosed) return;
        IsClosed = true;
        _tcp.StopListening(this);
        foreach (var c in _halfOpen.ToArray()) c.Abort();
        while (_ready.TryDequeue(out var c)) c.Abort();
    }

    /// <summary>"listen :port", for logs.</summary>
    public override string ToString() => $"listen :{LocalPort}";
}

/// <summary>What a listen endpoint tells its owner (the application's listener).</summary>
internal interface ITcpListenObserver
{
    /// <summary>An established connection waits in <see cref="TcpListenEndpoint.TryAccept"/>.</summary>
    void OnAcceptable(TcpListenEndpoint listener);
}
