using System.Buffers;
using System.Net.Sockets;
using Netstack.Network;
using Netstack.Wire;

namespace Netstack.Api;

/// <summary>A received datagram with where it came from.</summary>
public readonly record struct UdpReceiveResult(byte[] Buffer, int Length, Ipv4Address RemoteAddress, ushort RemotePort,
    Ipv4Address LocalAddress)
{
    public ReadOnlySpan<byte> Data => Buffer.AsSpan(0, Length);
}

/// <summary>Where a datagram received into a caller's buffer came from, and its full length (more than
/// was copied when the buffer was too small, like recvfrom with MSG_TRUNC).</summary>
public readonly record struct UdpDatagramInfo(int Length, Ipv4Address RemoteAddress, ushort RemotePort, Ipv4Address LocalAddress);

/// <summary>An ICMP error about a datagram this socket sent, like Linux's IP_RECVERR queue.</summary>
public sealed record UdpSocketError(IcmpType Type, byte Code, Ipv4Address Reporter, Ipv4Address Destination, ushort DestinationPort)
{
    public SocketError SocketError => Type == IcmpType.DestinationUnreachable
        ? (UnreachableCode)Code switch
        {
            UnreachableCode.Port or UnreachableCode.Protocol => SocketError.ConnectionRefused,
            UnreachableCode.Network => SocketError.NetworkUnreachable,
            UnreachableCode.FragmentationNeeded => SocketError.MessageSize,
            _ => SocketError.HostUnreachable,
        }
        : SocketError.HostUnreachable;

    public override string ToString() => Type == IcmpType.DestinationUnreachable
        ? $"{(UnreachableCode)Code} unreachable for {Destination}:{DestinationPort} (reported by {Reporter})"
        : $"{Type} code {Code} for {Destination}:{DestinationPort} (reported by {Reporter})";
}

/// <summary>A UDP socket bound to a local port. Datagrams queue up to a limit (overflow is dropped and
/// counted). ICMP errors queue separately; a receive waiting on a connected socket fails with the
/// SocketException a .NET user expects.</summary>
public sealed class UdpSocket : IDisposable
{
    private readonly NetworkStack _stack;
    private readonly int _queueLimit;
    // Queued payloads live in pooled arrays, so receiving allocates nothing; a copy the application owns
    // is made only when it asks for one (UdpReceiveResult).
    private readonly Queue<(byte[] Pooled, UdpDatagramInfo Info)> _received = new();
    private readonly Queue<UdpSocketError> _errors = new();
    private TaskCompletionSource<UdpReceiveResult>? _waiter;
    private bool _disposed;

    internal UdpSocket(NetworkStack stack, ushort port, int queueLimit)
    {
        _stack = stack;
        LocalPort = port;
        _queueLimit = queueLimit;
    }

    public ushort LocalPort { get; }
    /// <summary>Set by <see cref="Connect"/>: the only peer datagrams are accepted from, and errors reported for.</summary>
    public (Ipv4Address Address, ushort Port)? RemoteEndPoint { get; private set; }
    public int QueuedDatagrams => _received.Count;
    public IReadOnlyCollection<UdpSocketError> PendingErrors => _errors;
    public long DatagramsReceived { get; private set; }
    public long BytesReceived { get; private set; }

    public void Connect(Ipv4Address address, ushort port) => RemoteEndPoint = (address, port);

    public SendResult SendTo(ReadOnlySpan<byte> payload, Ipv4Address destination, ushort port)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _stack.Udp.Send(LocalPort, destination, port, payload);
    }

    public SendResult Send(ReadOnlySpan<byte> payload)
    {
        var remote = RemoteEndPoint ?? throw new InvalidOperationException("socket is not connected: use SendTo");
        return SendTo(payload, remote.Address, remote.Port);
    }

    /// <summary>Takes the next datagram as a copy the caller owns.</summary>
    public bool TryReceiveFrom(out UdpReceiveResult result)
    {
        if (!_received.TryDequeue(out var queued))
        {
            result = default;
            return false;
        }
        result = ToResult(queued.Pooled.AsSpan(0, queued.Info.Length), queued.Info);
        ArrayPool<byte>.Shared.Return(queued.Pooled);
        return true;
    }

    /// <summary>Takes the next datagram into <paramref name="destination"/> without allocating; a datagram
    /// longer than the buffer is truncated and <see cref="UdpDatagramInfo.Length"/> tells its full size.</summary>
    public bool TryReceiveFrom(Span<byte> destination, out UdpDatagramInfo info)
    {
        if (!_received.TryDequeue(out var queued))
        {
            info = default;
            return false;
        }
        info = queued.Info;
        var data = queued.Pooled.AsSpan(0, info.Length);
        data[..Math.Min(data.Length, destination.Length)].CopyTo(destination);
        ArrayPool<byte>.Shared.Return(queued.Pooled);
        return true;
    }

    private static UdpReceiveResult ToResult(ReadOnlySpan<byte> payload, in UdpDatagramInfo info) =>
        new(payload.ToArray(), payload.Length, info.RemoteAddress, info.RemotePort, info.LocalAddress);

    public bool TryReceiveError(out UdpSocketError? error) => _errors.TryDequeue(out error);

    /// <summary>Completes with the next datagram. On a connected socket, a pending ICMP error fails it
    /// with a SocketException (ConnectionRefused for port unreachable).</summary>
    public Task<UdpReceiveResult> ReceiveFromAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TryReceiveFrom(out UdpReceiveResult r)) return Task.FromResult(r);
        if (RemoteEndPoint is not null && _errors.TryDequeue(out var e))
            return Task.FromException<UdpReceiveResult>(new SocketException((int)e.SocketError));
        if (_waiter is not null) throw new InvalidOperationException("a receive is already pending on this socket");
        _waiter = new TaskCompletionSource<UdpReceiveResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _waiter.Task;
    }

    internal bool Enqueue(Ipv4Address from, ushort fromPort, Ipv4Address localAddress, ReadOnlySpan<byte> payload)
    {
        if (RemoteEndPoint is { } peer && (peer.Address != from || peer.Port != fromPort)) return true; // filtered, as connect() does
        DatagramsReceived++;
        BytesReceived += payload.Length;
        var info = new UdpDatagramInfo(payload.Length, from, fromPort, localAddress);
        if (_waiter is { } w)
        {
            _waiter = null;
            w.TrySetResult(ToResult(payload, info));
            return true;
        }
        if (_received.Count >= _queueLimit) return false;
        var pooled = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(pooled);
        _received.Enqueue((pooled, info));
        return true;
    }

    /// <summary>Queues an error for the application; false when the queue is full (bounded like the
    /// datagram queue, so a peer spraying ICMP errors cannot grow it without limit).</summary>
    internal bool ReportError(in IcmpErrorReport report, ushort destinationPort)
    {
        if (_errors.Count >= _queueLimit && !(RemoteEndPoint is not null && _waiter is not null)) return false;
        var error = new UdpSocketError(report.Type, report.Code, report.Reporter, report.OriginalDestination, destinationPort);
        if (RemoteEndPoint is not null && _waiter is { } w)
        {
            _waiter = null;
            w.TrySetException(new SocketException((int)error.SocketError));
            return true;
        }
        _errors.Enqueue(error);
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stack.Udp.Unbind(this);
        _waiter?.TrySetCanceled();
        while (_received.TryDequeue(out var queued)) ArrayPool<byte>.Shared.Return(queued.Pooled);
    }
}
