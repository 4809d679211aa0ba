using System.Buffers;
using System.Net.Sockets;
using Netstack.Network;
using Netstack.Wire;

namespace Netstack.Transport;

/// <summary>Where a datagram received into a caller's buffer came from, and its full length (more than
/// was copied when the buffer was too small, like recvfrom with MSG_TRUNC).</summary>
/// <param name="Length">Full length of the datagram's payload in bytes.</param>
/// <param name="Remote">Source address, either family.</param>
/// <param name="RemotePort">Source port.</param>
/// <param name="Local">Our address it was sent to, of the same family.</param>
public readonly record struct UdpDatagramInfo(int Length, IpAddress Remote, ushort RemotePort, IpAddress Local)
{
    /// <summary>The source of an IPv4 datagram (meaningless for IPv6: use <see cref="Remote"/>).</summary>
    public Ipv4Address RemoteAddress => Remote.Ipv4;
    /// <summary>Our IPv4 address it was sent to (meaningless for IPv6: use <see cref="Local"/>).</summary>
    public Ipv4Address LocalAddress => Local.Ipv4;
}

/// <summary>An ICMP error about a datagram this socket sent, like Linux's IP_RECVERR queue.</summary>
/// <remarks>An ICMPv6 error is given as its ICMPv4 equivalent (port unreachable, packet too big as fragmentation
/// needed, time exceeded, else host unreachable) with its addresses in <see cref="ReporterAddress"/> and
/// <see cref="DestinationAddress"/>.</remarks>
public sealed record UdpSocketError(IcmpType Type, byte Code, Ipv4Address Reporter, Ipv4Address Destination, ushort DestinationPort)
{
    private readonly IpAddress? _reporter, _destination;

    /// <summary>Who sent the error, either family.</summary>
    public IpAddress ReporterAddress { get => _reporter ?? Reporter; init => _reporter = value; }
    /// <summary>Destination of the datagram the error is about, either family.</summary>
    public IpAddress DestinationAddress { get => _destination ?? Destination; init => _destination = value; }

    /// <summary>The socket error this ICMP error maps to, as Linux reports it (port unreachable is ConnectionRefused).</summary>
    public SocketError SocketError => Type == IcmpType.DestinationUnreachable
        ? (UnreachableCode)Code switch
        {
            UnreachableCode.Port or UnreachableCode.Protocol => SocketError.ConnectionRefused,
            UnreachableCode.Network => SocketError.NetworkUnreachable,
            UnreachableCode.FragmentationNeeded => SocketError.MessageSize,
            _ => SocketError.HostUnreachable,
        }
        : SocketError.HostUnreachable;

    /// <summary>The error in words, naming the destination and the reporting router.</summary>
    public override string ToString() => Type == IcmpType.DestinationUnreachable
        ? $"{(UnreachableCode)Code} unreachable for {DestinationAddress}:{DestinationPort} (reported by {ReporterAddress})"
        : $"{Type} code {Code} for {DestinationAddress}:{DestinationPort} (reported by {ReporterAddress})";
}

/// <summary>A bound UDP port: its datagram queue (bounded; overflow is dropped and counted by <see cref="Udp"/>),
/// its ICMP error queue (bounded the same way) and the connect() filter. The application's socket wraps this
/// and is offered each datagram and error first through <see cref="IUdpReceiver"/>, so a waiting receive takes
/// it without queuing.</summary>
public sealed class UdpEndpoint
{
    private readonly Udp _udp;
    private readonly int _queueLimit;
    // Queued payloads live in pooled arrays, so receiving allocates nothing; a copy the application owns
    // is made only when it asks for one.
    private readonly Queue<(byte[] Pooled, UdpDatagramInfo Info)> _received = new();
    private readonly Queue<UdpSocketError> _errors = new();

    internal UdpEndpoint(Udp udp, ushort port, int queueLimit)
    {
        _udp = udp;
        LocalPort = port;
        _queueLimit = queueLimit;
    }

    /// <summary>The bound port.</summary>
    public ushort LocalPort { get; }
    /// <summary>Set by <see cref="Connect"/>: the only peer datagrams are accepted from, and errors reported for.</summary>
    public (IpAddress Address, ushort Port)? RemoteEndPoint { get; private set; }
    /// <summary>Datagrams waiting to be received.</summary>
    public int QueuedDatagrams => _received.Count;
    /// <summary>ICMP errors not yet taken with <see cref="TryReceiveError"/>.</summary>
    public IReadOnlyCollection<UdpSocketError> PendingErrors => _errors;
    /// <summary>Datagrams accepted into this socket since it was bound.</summary>
    public long DatagramsReceived { get; private set; }
    /// <summary>Payload bytes of those datagrams.</summary>
    public long BytesReceived { get; private set; }
    /// <summary>The socket was closed; sending throws ObjectDisposedException.</summary>
    public bool IsClosed { get; private set; }
    internal IUdpReceiver? Receiver { get; set; }

    /// <summary>Restricts the socket to one peer, like connect(2) on a UDP socket; nothing is sent.</summary>
    public void Connect(IpAddress address, ushort port) => RemoteEndPoint = (address, port);

    /// <summary>Sends <paramref name="payload"/> as one datagram to <paramref name="destination"/>:<paramref name="port"/>. Throws ObjectDisposedException when closed.</summary>
    public SendResult SendTo(ReadOnlySpan<byte> payload, IpAddress destination, ushort port)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        return _udp.Send(LocalPort, destination, port, payload);
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

    /// <summary>Takes the next datagram as a fresh array the caller owns.</summary>
    public bool TryReceiveFrom(out byte[] payload, out UdpDatagramInfo info)
    {
        if (!_received.TryDequeue(out var queued))
        {
            payload = [];
            info = default;
            return false;
        }
        info = queued.Info;
        payload = queued.Pooled.AsSpan(0, info.Length).ToArray();
        ArrayPool<byte>.Shared.Return(queued.Pooled);
        return true;
    }

    /// <summary>Takes the oldest queued ICMP error; false when there is none.</summary>
    public bool TryReceiveError(out UdpSocketError? error) => _errors.TryDequeue(out error);

    internal bool Enqueue(IpAddress from, ushort fromPort, IpAddress localAddress, ReadOnlySpan<byte> payload)
    {
        if (RemoteEndPoint is { } peer && (peer.Address != from || peer.Port != fromPort)) return true; // filtered, as connect() does
        DatagramsReceived++;
        BytesReceived += payload.Length;
        var info = new UdpDatagramInfo(payload.Length, from, fromPort, localAddress);
        if (Receiver is { } r && r.TryTakeDatagram(payload, info)) return true;
        if (_received.Count >= _queueLimit) return false;
        var pooled = ArrayPool<byte>.Shared.Rent(Math.Max(payload.Length, 1));
        payload.CopyTo(pooled);
        _received.Enqueue((pooled, info));
        return true;
    }

    /// <summary>Queues an error for the application; false when the queue is full (bounded like the
    /// datagram queue, so a peer spraying ICMP errors cannot grow it without limit). On a connected socket a
    /// waiting receive takes the error instead.</summary>
    internal bool ReportError(in IcmpErrorReport report, ushort destinationPort) =>
        ReportError(new UdpSocketError(report.Type, report.Code, report.Reporter, report.OriginalDestination, destinationPort));

    /// <summary>Queues an ICMPv6 error as its ICMPv4 equivalent (see <see cref="UdpSocketError"/>).</summary>
    internal bool ReportError(in Network.Ipv6.Icmpv6ErrorReport report, ushort destinationPort)
    {
        var (type, code) = report.Type switch
        {
            Icmpv6Type.DestinationUnreachable when report.Code == (byte)Icmpv6UnreachableCode.Port =>
                (IcmpType.DestinationUnreachable, (byte)UnreachableCode.Port),
            Icmpv6Type.DestinationUnreachable when report.Code == (byte)Icmpv6UnreachableCode.NoRoute =>
                (IcmpType.DestinationUnreachable, (byte)UnreachableCode.Network),
            Icmpv6Type.PacketTooBig => (IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded),
            Icmpv6Type.TimeExceeded => (IcmpType.TimeExceeded, report.Code),
            Icmpv6Type.ParameterProblem => (IcmpType.ParameterProblem, (byte)0),
            _ => (IcmpType.DestinationUnreachable, (byte)UnreachableCode.Host),
        };
        return ReportError(new UdpSocketError(type, code, Ipv4Address.Any, Ipv4Address.Any, destinationPort)
        {
            ReporterAddress = report.Reporter,
            DestinationAddress = report.OriginalDestination,
        });
    }

    private bool ReportError(UdpSocketError error)
    {
        bool receiverTakes = RemoteEndPoint is not null && Receiver is { IsWaiting: true };
        if (_errors.Count >= _queueLimit && !receiverTakes) return false;
        if (receiverTakes && Receiver!.TryTakeError(error)) return true;
        _errors.Enqueue(error);
        return true;
    }

    /// <summary>Unbinds the port and returns the queued datagrams' buffers.</summary>
    public void Close()
    {
        if (IsClosed) return;
        IsClosed = true;
        _udp.Unbind(this);
        while (_received.TryDequeue(out var queued)) ArrayPool<byte>.Shared.Return(queued.Pooled);
    }

    /// <summary>"udp :port", for logs.</summary>
    public override string ToString() => $"udp :{LocalPort}";
}

/// <summary>What a UDP endpoint offers its owner (the application's socket) before queuing.</summary>
internal interface IUdpReceiver
{
    /// <summary>A receive is waiting for the next datagram or (on a connected socket) error.</summary>
    bool IsWaiting { get; }
    /// <summary>Offers a datagram to a waiting receive; false to queue it.</summary>
    bool TryTakeDatagram(ReadOnlySpan<byte> payload, in UdpDatagramInfo info);
    /// <summary>Offers an ICMP error to a waiting receive on a connected socket; false to queue it.</summary>
    bool TryTakeError(UdpSocketError error);
}
