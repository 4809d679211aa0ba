using System.Net.Sockets;
using Netstack.Network;
using Netstack.Transport;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A received datagram with where it came from.</summary>
public readonly record struct UdpReceiveResult(byte[] Buffer, int Length, Ipv4Address RemoteAddress, ushort RemotePort,
    Ipv4Address LocalAddress)
{
    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
}

/// <summary>A UDP socket bound to a local port, for the application: a thin wrapper over the transport's
/// <see cref="UdpEndpoint"/> (which queues datagrams and ICMP errors) that adds the asynchronous receive. A
/// receive waiting on a connected socket fails with the SocketException a .NET user expects.</summary>
public sealed class UdpSocket : IDisposable, IUdpReceiver
{
    private readonly UdpEndpoint _endpoint;
    private TaskCompletionSource<UdpReceiveResult>? _waiter;
    private bool _disposed;

    internal UdpSocket(UdpEndpoint endpoint)
    {
        _endpoint = endpoint;
        endpoint.Receiver = this;
    }

    public ushort LocalPort => _endpoint.LocalPort;
    /// <summary>Set by <see cref="Connect"/>: the only peer datagrams are accepted from, and errors reported for.</summary>
    public (Ipv4Address Address, ushort Port)? RemoteEndPoint => _endpoint.RemoteEndPoint;
    public int QueuedDatagrams => _endpoint.QueuedDatagrams;
    public IReadOnlyCollection<UdpSocketError> PendingErrors => _endpoint.PendingErrors;
    public long DatagramsReceived => _endpoint.DatagramsReceived;
    public long BytesReceived => _endpoint.BytesReceived;

    public void Connect(Ipv4Address address, ushort port) => _endpoint.Connect(address, port);

    public SendResult SendTo(ReadOnlySpan<byte> payload, Ipv4Address destination, ushort port)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _endpoint.SendTo(payload, destination, port);
    }

    public SendResult Send(ReadOnlySpan<byte> payload)
    {
        var remote = RemoteEndPoint ?? throw new InvalidOperationException("socket is not connected: use SendTo");
        return SendTo(payload, remote.Address, remote.Port);
    }

    /// <summary>Takes the next datagram as a copy the caller owns.</summary>
    public bool TryReceiveFrom(out UdpReceiveResult result)
    {
        if (!_endpoint.TryReceiveFrom(out byte[] payload, out var info))
        {
            result = default;
            return false;
        }
        result = new UdpReceiveResult(payload, info.Length, info.RemoteAddress, info.RemotePort, info.LocalAddress);
        return true;
    }

    /// <summary>Takes the next datagram into <paramref name="destination"/> without allocating; a datagram
    /// longer than the buffer is truncated and <see cref="UdpDatagramInfo.Length"/> tells its full size.</summary>
    public bool TryReceiveFrom(Span<byte> destination, out UdpDatagramInfo info) => _endpoint.TryReceiveFrom(destination, out info);

    private static UdpReceiveResult ToResult(ReadOnlySpan<byte> payload, in UdpDatagramInfo info) =>
        new(payload.ToArray(), payload.Length, info.RemoteAddress, info.RemotePort, info.LocalAddress);

    public bool TryReceiveError(out UdpSocketError? error) => _endpoint.TryReceiveError(out error);

    /// <summary>Completes with the next datagram. On a connected socket, a pending ICMP error fails it
    /// with a SocketException (ConnectionRefused for port unreachable).</summary>
    public Task<UdpReceiveResult> ReceiveFromAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TryReceiveFrom(out UdpReceiveResult r)) return Task.FromResult(r);
        if (RemoteEndPoint is not null && _endpoint.TryReceiveError(out var e))
            return Task.FromException<UdpReceiveResult>(new SocketException((int)e!.SocketError));
        if (_waiter is not null) throw new InvalidOperationException("a receive is already pending on this socket");
        _waiter = new TaskCompletionSource<UdpReceiveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _waiter.Task;
    }

    bool IUdpReceiver.IsWaiting => _waiter is not null;

    bool IUdpReceiver.TryTakeDatagram(ReadOnlySpan<byte> payload, in UdpDatagramInfo info)
    {
        if (_waiter is not { } w) return false;
        _waiter = null;
        w.TrySetResult(ToResult(payload, info));
        return true;
    }

    bool IUdpReceiver.TryTakeError(UdpSocketError error)
    {
        if (_waiter is not { } w) return false;
        _waiter = null;
        w.TrySetException(new SocketException((int)error.SocketError));
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _endpoint.Close();
        _waiter?.TrySetCanceled();
    }
}
