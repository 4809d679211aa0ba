using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netstack.Api;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Linux;

/// <summary>Echo requests from the host the Linux kernel plays, sent on a raw ICMP socket in its namespace (as
/// ping(8) does), and over IPv6 on a raw ICMPv6 socket (as ping -6 does: the kernel adds the IPv6 header, fills in
/// the checksum over its pseudo-header, and fragments a message larger than the path MTU), with results in the
/// same form as our stack's ping API: replies, unreachables, packet too big and time exceeded matched by identifier
/// and sequence, timeouts from the loop's clock.</summary>
public sealed class LinuxPinger
{
    private readonly LinuxPeer _peer;
    private readonly IScheduler _loop;
    private readonly ushort _identifier;
    private readonly Dictionary<ushort, Outstanding> _outstanding = new();
    private Socket? _socket, _socket6;
    private ushort _sequence;

    private sealed class Outstanding(IpAddress destination, Instant sentAt)
    {
        public IpAddress Destination { get; } = destination;
        public Instant SentAt { get; } = sentAt;
        public ScheduledTimer? Timeout;
    }

    /// <summary>Opens the raw sockets now (the first costs a while): ICMP always, ICMPv6 when the host has IPv6.</summary>
    public LinuxPinger(LinuxPeer peer, IScheduler loop, ushort identifier)
    {
        _peer = peer;
        _loop = loop;
        _identifier = identifier;
        _ = Socket(ipv6: false);
        if (peer.HasIpv6) _ = Socket(ipv6: true);
    }

    public List<PingResult> Results { get; } = new();

    private Socket Socket(bool ipv6)
    {
        if ((ipv6 ? _socket6 : _socket) is { } open) return open;
        var socket = ipv6
            ? _peer.OpenSocket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6)
            : _peer.OpenSocket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);
        if (ipv6)
        {
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0)); // ReceiveFrom refuses an unbound socket
            _socket6 = socket;
        }
        else _socket = socket;
        _ = ReceiveLoopAsync(socket, ipv6);
        return socket;
    }

    public void Send(Ipv4Address destination, int size, Duration timeout, byte? timeToLive, bool dontFragment)
    {
        var socket = Socket(ipv6: false);
        socket.Ttl = timeToLive ?? 64;
        socket.DontFragment = dontFragment;
        var packet = Request(8, size, out ushort sequence);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), Checksum.Compute(packet));
        Expect(destination, sequence, timeout);
        socket.SendTo(packet, new IPEndPoint(destination.ToSystem(), 0));
    }

    /// <summary>An ICMPv6 echo request; the kernel computes its checksum (RFC 3542 §3.1: always on for raw ICMPv6).</summary>
    public void Send(Ipv6Address destination, int size, Duration timeout, byte? hopLimit)
    {
        var socket = Socket(ipv6: true);
        socket.Ttl = (short)(hopLimit ?? 64); // IPV6_UNICAST_HOPS on an IPv6 socket
        var packet = Request(128, size, out ushort sequence);
        Expect(destination, sequence, timeout);
        socket.SendTo(packet, new IPEndPoint(destination.ToSystem(), 0));
    }

    /// <summary>An echo request of <paramref name="type"/> with <paramref name="size"/> bytes of data counting up from 0.</summary>
    private byte[] Request(byte type, int size, out ushort sequence)
    {
        sequence = ++_sequence;
        var packet = new byte[8 + size];
        packet[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), _identifier);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), sequence);
        for (int i = 0; i < size; i++) packet[8 + i] = (byte)i;
        return packet;
    }

    private void Expect(IpAddress destination, ushort sequence, Duration timeout)
    {
        var pending = new Outstanding(destination, _loop.Now);
        pending.Timeout = new ScheduledTimer(_loop, () => Complete(sequence, Result(PingStatus.TimedOut, destination, sequence)));
        pending.Timeout.Arm(_loop.Now + timeout);
        _outstanding[sequence] = pending;
    }

    /// <summary>A result in the form our stack's ping service gives (IPv4 in the record's IPv4 fields).</summary>
    private static PingResult Result(PingStatus status, IpAddress destination, ushort sequence, Duration rtt = default,
        IpAddress? from = null, byte hops = 0, int dataLength = 0, byte code = 0) => destination.IsIpv4
        ? new PingResult(status, destination.Ipv4, sequence, rtt, from?.Ipv4, hops, dataLength, code)
        : new PingResult(status, Ipv4Address.Any, sequence, rtt, null, hops, dataLength, code) { Target = destination, Responder = from };

    private void Complete(ushort sequence, PingResult reply)
    {
        if (!_outstanding.Remove(sequence, out var pending)) return;
        pending.Timeout?.Cancel();
        Results.Add(reply);
    }

    private async Task ReceiveLoopAsync(Socket socket, bool ipv6)
    {
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                if (ipv6)
                {
                    var r = await socket.ReceiveFromAsync(buffer.AsMemory(), SocketFlags.None, new IPEndPoint(IPAddress.IPv6Any, 0)).ConfigureAwait(false);
                    var message = buffer[..r.ReceivedBytes];
                    var from = Ipv6Address.FromSystem(((IPEndPoint)r.RemoteEndPoint).Address);
                    _loop.Post(() => Receive6(message, from));
                }
                else
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    var packet = buffer[..n];
                    _loop.Post(() => Receive(packet));
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The run ended and the namespace (and socket) went with it.
        }
    }

    /// <summary>A raw ICMP socket delivers whole IP datagrams, every ICMP message the host receives: keep ours.</summary>
    private void Receive(byte[] datagram)
    {
        if (datagram.Length < 20) return;
        int ipHeader = (datagram[0] & 0x0F) * 4;
        if (datagram.Length < ipHeader + 8) return;
        var from = Ipv4Address.Read(datagram.AsSpan(12));
        byte ttl = datagram[8];
        var icmp = datagram.AsSpan(ipHeader);
        byte type = icmp[0], code = icmp[1];
        if (type == 0)
        {
            Reply(icmp, from, ttl);
            return;
        }
        if (type is not (3 or 11) || icmp.Length < 8 + 20 + 8) return;
        // An error quotes the IP header and first 8 bytes of our echo request.
        var quoted = icmp[8..];
        int quotedHeader = (quoted[0] & 0x0F) * 4;
        if (quoted.Length < quotedHeader + 8 || quoted[9] != 1) return;
        Error(quoted[quotedHeader..], 8, from, type == 11 ? PingStatus.TimeExceeded : code == 4 ? PingStatus.TooBig : PingStatus.DestinationUnreachable, code);
    }

    /// <summary>A raw ICMPv6 socket delivers the ICMPv6 message alone (no IPv6 header, so no hop limit), every one the
    /// host receives, neighbour discovery included: keep ours.</summary>
    private void Receive6(byte[] icmp, Ipv6Address from)
    {
        if (icmp.Length < 8) return;
        byte type = icmp[0], code = icmp[1];
        if (type == 129)
        {
            Reply(icmp, from, 0);
            return;
        }
        // Destination unreachable, packet too big, time exceeded: they quote the IPv6 header and our request.
        if (type is not (1 or 2 or 3) || icmp.Length < 8 + 40 + 8 || icmp[8 + 6] != 58) return;
        Error(icmp.AsSpan(8 + 40), 128, from, type switch { 3 => PingStatus.TimeExceeded, 2 => PingStatus.TooBig, _ => PingStatus.DestinationUnreachable }, code);
    }

    private void Reply(ReadOnlySpan<byte> icmp, IpAddress from, byte hops)
    {
        if (BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) != _identifier) return;
        ushort sequence = BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
        if (!_outstanding.TryGetValue(sequence, out var pending)) return;
        Complete(sequence, Result(PingStatus.Success, pending.Destination, sequence, _loop.Now - pending.SentAt, from, hops, icmp.Length - 8));
    }

    private void Error(ReadOnlySpan<byte> echo, byte requestType, IpAddress from, PingStatus status, byte code)
    {
        if (echo[0] != requestType || BinaryPrimitives.ReadUInt16BigEndian(echo[4..]) != _identifier) return;
        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(echo[6..]);
        if (!_outstanding.TryGetValue(seq, out var p)) return;
        Complete(seq, Result(status, p.Destination, seq, default, from, 0, 0, code));
    }
}
