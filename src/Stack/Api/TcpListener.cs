using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A TCP port in LISTEN (RFC 9293 §3.10.7.2): answers SYNs with SYN-ACKs up to a backlog of
/// connections not yet accepted, and hands established ones to <see cref="AcceptAsync"/>.</summary>
public sealed class TcpListener : IDisposable
{
    private readonly TcpProtocol _tcp;
    private readonly Queue<TcpConnection> _ready = new();
    private readonly Queue<TaskCompletionSource<TcpStream>> _waiters = new();
    private readonly HashSet<TcpConnection> _halfOpen = new();
    private bool _disposed;
    private Instant? _cookieSentAt;

    internal TcpListener(TcpProtocol tcp, ushort port, int backlog)
    {
        _tcp = tcp;
        LocalPort = port;
        Backlog = backlog;
    }

    public ushort LocalPort { get; }
    public int Backlog { get; }
    public int PendingAccepts => _ready.Count;
    public int HalfOpen => _halfOpen.Count;

    /// <summary>The next established connection, as a stream.</summary>
    public Task<TcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<TcpStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        _tcp.RunOnLoop(() =>
        {
            if (_disposed)
            {
                tcs.TrySetException(new ObjectDisposedException(nameof(TcpListener)));
                return;
            }
            if (_ready.TryDequeue(out var c)) tcs.TrySetResult(new TcpStream(_tcp, c));
            else _waiters.Enqueue(tcs);
        });
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
            tcs.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return tcs.Task;
    }

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
        while (_waiters.TryDequeue(out var w))
        {
            if (w.Task.IsCompleted) continue; // cancelled
            w.TrySetResult(new TcpStream(_tcp, connection));
            return;
        }
        _ready.Enqueue(connection);
    }

    internal void OnHalfOpenGone(TcpConnection connection) => _halfOpen.Remove(connection);

    /// <summary>Stops listening; connections not yet accepted are reset, pending accepts fail.</summary>
    public void Dispose() => _tcp.RunOnLoop(() =>
    {
        if (_disposed) return;
        _disposed = true;
        _tcp.StopListening(this);
        foreach (var c in _halfOpen.ToArray()) c.Abort();
        while (_ready.TryDequeue(out var c)) c.Abort();
        while (_waiters.TryDequeue(out var w))
            w.TrySetException(new SocketException((int)SocketError.OperationAborted, "the listener was closed"));
    });

    public override string ToString() => $"listen :{LocalPort}";
}
