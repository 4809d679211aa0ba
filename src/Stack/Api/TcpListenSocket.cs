using System.Net;
using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Time;
using Netstack.Transport.Tcp;

namespace Netstack.Api;

/// <summary>A TCP port in LISTEN, for the application: hands established connections to
/// <see cref="AcceptAsync"/> as streams. The LISTEN state itself (backlog, half-open connections, SYN cookies)
/// is the transport's <see cref="TcpListenEndpoint"/>. Named apart from System.Net.Sockets.TcpListener so code
/// using both needs no alias.</summary>
public sealed class TcpListenSocket : IDisposable, ITcpListenObserver
{
    private readonly TcpProtocol _tcp;
    private IScheduler Loop => _tcp.Stack.Scheduler;
    private readonly TcpListenEndpoint _endpoint;
    private readonly Queue<TaskCompletionSource<TcpStream>> _waiters = new();
    private bool _disposed;

    internal TcpListenSocket(TcpProtocol tcp, TcpListenEndpoint endpoint)
    {
        _tcp = tcp;
        _endpoint = endpoint;
        endpoint.Observer = this;
    }

    /// <summary>The port listened on (the one chosen when 0 was asked for).</summary>
    public ushort LocalPort => _endpoint.LocalPort;
    /// <summary>Listening on every local address, like a socket bound to INADDR_ANY.</summary>
    public IPEndPoint LocalEndPoint => new(IPAddress.Any, _endpoint.LocalPort);
    /// <summary>Most connections held for the application at once, half-open ones included.</summary>
    public int Backlog => _endpoint.Backlog;
    /// <summary>Established connections waiting for <see cref="AcceptAsync"/>.</summary>
    public int PendingAccepts => _endpoint.PendingAccepts;
    /// <summary>Connections in SYN-RECEIVED: SYN answered, handshake not yet completed.</summary>
    public int HalfOpen => _endpoint.HalfOpen;

    /// <summary>The next established connection, as a stream.</summary>
    public Task<TcpStream> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var tcs = new TaskCompletionSource<TcpStream>();
        Loop.RunOnLoop(() =>
        {
            if (_disposed)
            {
                tcs.TrySetException(new ObjectDisposedException(nameof(TcpListenSocket)));
                return;
            }
            if (_endpoint.TryAccept(out var c)) tcs.TrySetResult(new TcpStream(_tcp, c));
            else _waiters.Enqueue(tcs);
        });
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => tcs.TrySetCanceled(cancellationToken));
            tcs.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return tcs.Task.ResumeOnLoop(Loop);
    }

    void ITcpListenObserver.OnAcceptable(TcpListenEndpoint listener)
    {
        while (_waiters.TryDequeue(out var w))
        {
            if (w.Task.IsCompleted) continue; // cancelled
            if (listener.TryAccept(out var connection)) w.TrySetResult(new TcpStream(_tcp, connection));
            return;
        }
    }

    /// <summary>Stops listening; connections not yet accepted are reset, pending accepts fail.</summary>
    public void Dispose() => Loop.RunOnLoop(() =>
    {
        if (_disposed) return;
        _disposed = true;
        _endpoint.Close();
        while (_waiters.TryDequeue(out var w))
            w.TrySetException(new SocketException((int)SocketError.OperationAborted, "the listener was closed"));
    });

    /// <summary>"listen :PORT", for logs.</summary>
    public override string ToString() => _endpoint.ToString();
}
