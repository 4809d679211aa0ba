using System.Net;
using System.Net.Sockets;
using CancellationToken = System.Threading.CancellationToken;
using CancellationTokenRegistration = System.Threading.CancellationTokenRegistration;
using Netstack.Network;
using Netstack.Time;
using Netstack.Transport;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A UDP socket bound to a local port, for the application: a thin wrapper over the transport's
/// <see cref="UdpEndpoint"/> (which queues datagrams and ICMP errors) that adds the asynchronous receive.
/// Follows the stack's threading contract (<see cref="IScheduler.IsOnLoopThread"/>): a call from off the loop
/// is posted to it (synchronous calls wait for it, as TcpStream's do). Failures are SocketExceptions: a send
/// with no route (NetworkUnreachable) or too big (MessageSize), and on a connected socket a receive meeting a
/// queued ICMP error (ConnectionRefused for port unreachable).</summary>
public sealed class UdpSocket : IDisposable, IUdpReceiver
{
    private readonly UdpEndpoint _endpoint;
    private readonly IScheduler _loop;
    private TaskCompletionSource<ReceivedDatagram>? _waiter;
    private bool _disposed;

    internal UdpSocket(UdpEndpoint endpoint, IScheduler loop)
    {
        _endpoint = endpoint;
        _loop = loop;
        endpoint.Receiver = this;
    }

    /// <summary>The bound port (the one chosen when 0 was asked for).</summary>
    public ushort LocalPort => _endpoint.LocalPort;
    /// <summary>Bound to every local address, like a socket bound to INADDR_ANY.</summary>
    public IPEndPoint LocalEndPoint => new(IPAddress.Any, _endpoint.LocalPort);
    /// <summary>Set by <see cref="Connect(IPEndPoint)"/>: the only peer datagrams are accepted from, and errors
    /// reported for; null while unconnected.</summary>
    public IPEndPoint? RemoteEndPoint =>
        _endpoint.RemoteEndPoint is { } r ? new IPEndPoint(r.Address.ToSystem(), r.Port) : null;
    /// <summary>Datagrams received and not yet taken.</summary>
    public int QueuedDatagrams => _endpoint.QueuedDatagrams;
    /// <summary>ICMP errors received for this socket and not yet taken.</summary>
    public IReadOnlyCollection<UdpSocketError> PendingErrors => _endpoint.PendingErrors;
    /// <summary>Datagrams delivered to this socket since it was opened.</summary>
    public long DatagramsReceived => _endpoint.DatagramsReceived;
    /// <summary>Payload bytes delivered to this socket since it was opened.</summary>
    public long BytesReceived => _endpoint.BytesReceived;

    /// <summary>Like <see cref="Connect(IpAddress, ushort)"/> for a BCL endpoint of either family.</summary>
    /// <exception cref="ArgumentException"><paramref name="remote"/> is neither an IPv4 nor an IPv6 endpoint.</exception>
    public void Connect(IPEndPoint remote) => Connect(IpAddress.FromSystem(remote.Address), (ushort)remote.Port);

    /// <summary>Fixes the peer: only its datagrams are received from now on, <see cref="Send"/> goes to it, and its
    /// ICMP errors fail receives.</summary>
    public void Connect(IpAddress address, ushort port) => OnLoop(() =>
    {
        _endpoint.Connect(address, port);
        return 0;
    });

    /// <summary>Sends one datagram; returns its length. Throws SocketException when there is no route
    /// (NetworkUnreachable) or it cannot be sent at all (MessageSize).</summary>
    public int SendTo(ReadOnlySpan<byte> payload, IpAddress destination, ushort port)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_loop.IsOnLoopThread) return SendToAsync(payload.ToArray(), destination, port).AsTask().GetAwaiter().GetResult();
        return Sent(_endpoint.SendTo(payload, destination, port), payload.Length, destination, port);
    }

    /// <summary>Like <see cref="SendTo(ReadOnlySpan{byte}, IpAddress, ushort)"/> for a BCL endpoint of either
    /// family.</summary>
    /// <exception cref="ArgumentException"><paramref name="remote"/> is neither an IPv4 nor an IPv6 endpoint.</exception>
    public int SendTo(ReadOnlySpan<byte> payload, IPEndPoint remote) =>
        SendTo(payload, IpAddress.FromSystem(remote.Address), (ushort)remote.Port);

    /// <summary>Sends to the connected peer.</summary>
    public int Send(ReadOnlySpan<byte> payload)
    {
        var remote = _endpoint.RemoteEndPoint
            ?? throw new SocketException((int)SocketError.NotConnected, "the socket is not connected: use SendTo");
        return SendTo(payload, remote.Address, remote.Port);
    }

    /// <summary>Like <see cref="SendToAsync(ReadOnlyMemory{byte}, IpAddress, ushort, CancellationToken)"/> for a BCL
    /// endpoint of either family.</summary>
    /// <exception cref="ArgumentException"><paramref name="remote"/> is neither an IPv4 nor an IPv6 endpoint.</exception>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> payload, IPEndPoint remote, CancellationToken cancellationToken = default) =>
        SendToAsync(payload, IpAddress.FromSystem(remote.Address), (ushort)remote.Port, cancellationToken);

    /// <summary>Sends one datagram from any thread; completes with its length, or faults with a
    /// <see cref="SocketException"/> (NetworkUnreachable, MessageSize) as
    /// <see cref="SendTo(ReadOnlySpan{byte}, IpAddress, ushort)"/> throws.</summary>
    /// <exception cref="ObjectDisposedException">The socket is disposed.</exception>
    public ValueTask<int> SendToAsync(ReadOnlyMemory<byte> payload, IpAddress destination, ushort port,
        CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<int>(cancellationToken);
        if (_loop.IsOnLoopThread)
        {
            try
            {
                return ValueTask.FromResult(SendTo(payload.Span, destination, port));
            }
            catch (SocketException e)
            {
                return ValueTask.FromException<int>(e);
            }
        }
        var tcs = new TaskCompletionSource<int>();
        _loop.Post(() =>
        {
            if (cancellationToken.IsCancellationRequested) tcs.TrySetCanceled(cancellationToken);
            else if (_disposed) tcs.TrySetException(new ObjectDisposedException(nameof(UdpSocket)));
            else
                try
                {
                    tcs.TrySetResult(Sent(_endpoint.SendTo(payload.Span, destination, port), payload.Length, destination, port));
                }
                catch (SocketException e)
                {
                    tcs.TrySetException(e);
                }
        });
        return new ValueTask<int>(tcs.Task.ResumeOnLoop(_loop));
    }

    private static int Sent(SendResult result, int length, IpAddress destination, ushort port) => result switch
    {
        SendResult.NoRoute => throw new SocketException((int)SocketError.NetworkUnreachable, $"no route to {destination}"),
        SendResult.TooBig => throw new SocketException((int)SocketError.MessageSize,
            $"a {length}-byte datagram to {destination}:{port} is too big"),
        _ => length,
    };

    /// <summary>Takes the next datagram as a copy the caller owns.</summary>
    public bool TryReceiveFrom(out ReceivedDatagram result)
    {
        (bool Got, byte[] Payload, UdpDatagramInfo Info) taken = OnLoop(() =>
            _endpoint.TryReceiveFrom(out byte[] payload, out var info) ? (true, payload, info) : (false, [], default));
        result = taken.Got ? ToResult(taken.Payload, taken.Info) : default;
        return taken.Got;
    }

    /// <summary>Takes the next datagram into <paramref name="destination"/> without allocating; a datagram
    /// longer than the buffer is truncated and <see cref="UdpDatagramInfo.Length"/> tells its full size.
    /// Only on the loop thread (a span cannot be handed to it).</summary>
    public bool TryReceiveFrom(Span<byte> destination, out UdpDatagramInfo info)
    {
        if (!_loop.IsOnLoopThread)
            throw new InvalidOperationException("receive into a span on the event loop thread; elsewhere use ReceiveFromAsync");
        return _endpoint.TryReceiveFrom(destination, out info);
    }

    private static ReceivedDatagram ToResult(byte[] payload, in UdpDatagramInfo info) =>
        new(payload, info.Length, info.Remote, info.RemotePort, info.Local);

    /// <summary>Takes the oldest queued ICMP error for this socket; false when there is none.</summary>
    public bool TryReceiveError(out UdpSocketError? error)
    {
        var taken = OnLoop(() => _endpoint.TryReceiveError(out var e) ? e : null);
        error = taken;
        return taken is not null;
    }

    /// <summary>Completes with the next datagram. On a connected socket, a pending ICMP error fails it
    /// with a SocketException (ConnectionRefused for port unreachable).</summary>
    public Task<ReceivedDatagram> ReceiveFromAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<ReceivedDatagram>(cancellationToken);
        if (_loop.IsOnLoopThread)
        {
            if (TryStartReceive(out var done)) return done;
            return Waiting(_waiter!, cancellationToken).ResumeOnLoop(_loop);
        }
        var tcs = new TaskCompletionSource<ReceivedDatagram>();
        _loop.Post(() =>
        {
            if (_disposed)
            {
                tcs.TrySetCanceled();
                return;
            }
            try
            {
                if (TryStartReceive(out var done))
                {
                    done.ContinueWith(t =>
                    {
                        if (t.IsCompletedSuccessfully) tcs.TrySetResult(t.Result);
                        else tcs.TrySetException(t.Exception!.InnerExceptions);
                    }, TaskContinuationOptions.ExecuteSynchronously);
                    return;
                }
                var waiter = _waiter!;
                waiter.Task.ContinueWith(t =>
                {
                    if (t.IsCompletedSuccessfully) tcs.TrySetResult(t.Result);
                    else if (t.IsCanceled) tcs.TrySetCanceled();
                    else tcs.TrySetException(t.Exception!.InnerExceptions);
                }, TaskContinuationOptions.ExecuteSynchronously);
                Waiting(waiter, cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                tcs.TrySetException(e);
            }
        });
        return tcs.Task.ResumeOnLoop(_loop);
    }

    /// <summary>On the loop: a datagram or error already queued completes the receive at once; otherwise the
    /// receive waits in <see cref="_waiter"/>.</summary>
    private bool TryStartReceive(out Task<ReceivedDatagram> done)
    {
        if (_endpoint.TryReceiveFrom(out byte[] payload, out var info))
        {
            done = Task.FromResult(ToResult(payload, info));
            return true;
        }
        if (_endpoint.RemoteEndPoint is not null && _endpoint.TryReceiveError(out var e))
        {
            done = Task.FromException<ReceivedDatagram>(new SocketException((int)e!.SocketError));
            return true;
        }
        if (_waiter is not null) throw new InvalidOperationException("a receive is already pending on this socket");
        _waiter = new TaskCompletionSource<ReceivedDatagram>();
        done = null!;
        return false;
    }

    private Task<ReceivedDatagram> Waiting(TaskCompletionSource<ReceivedDatagram> waiter, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => _loop.RunOnLoop(() =>
            {
                if (_waiter == waiter) _waiter = null;
                waiter.TrySetCanceled(cancellationToken);
            }));
            waiter.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        return waiter.Task;
    }

    private T OnLoop<T>(Func<T> call) => LoopCall.Invoke(_loop, call);

    bool IUdpReceiver.IsWaiting => _waiter is not null;

    bool IUdpReceiver.TryTakeDatagram(ReadOnlySpan<byte> payload, in UdpDatagramInfo info)
    {
        if (_waiter is not { } w) return false;
        _waiter = null;
        w.TrySetResult(ToResult(payload.ToArray(), info));
        return true;
    }

    bool IUdpReceiver.TryTakeError(UdpSocketError error)
    {
        if (_waiter is not { } w) return false;
        _waiter = null;
        w.TrySetException(new SocketException((int)error.SocketError));
        return true;
    }

    /// <summary>Unbinds the port; a pending receive is cancelled, queued datagrams are discarded. Calling it again is
    /// harmless.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _loop.RunOnLoop(() =>
        {
            _endpoint.Close();
            _waiter?.TrySetCanceled();
            _waiter = null;
        });
    }

    /// <summary>"udp" and the local endpoint, for logs.</summary>
    public override string ToString() => $"udp {LocalEndPoint}";
}
