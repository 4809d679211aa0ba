using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>The frame a step causes, described so the recording can find it when it goes out: the first frame of the
/// protocol the step acts on (the SYN of a <c>tcp-connect</c>, the echo request of a <c>ping</c>, the datagram of a
/// <c>udp-send</c>), which may leave well after the step ran (behind the ARP exchange it triggered).</summary>
/// <param name="Host">The host that sends it.</param>
/// <param name="Keyword">The step's keyword, for the comment on frames it triggered on the way (ARP).</param>
/// <param name="Matches">True for the frame the step caused.</param>
/// <param name="Count">How many such frames the step causes (a <c>ping</c> with <c>count: 3</c>, three).</param>
public sealed record FrameCause(string Host, string Keyword, Func<CapturedFrame, bool> Matches, int Count = 1)
{
    /// <summary>A TCP SYN (without ACK) to <paramref name="to"/>:<paramref name="port"/>.</summary>
    public static FrameCause TcpSyn(string host, IpAddress to, ushort port) => new(host, "tcp-connect", f =>
        TcpView.Read(f.Bytes) is { } t && (t.Flags & (TcpView.Syn | TcpView.Ack)) == TcpView.Syn &&
        t.Destination == to && t.DestinationPort == port);

    /// <summary>An ICMP echo request to <paramref name="to"/>.</summary>
    public static FrameCause EchoRequest(string host, IpAddress to, int count) => new(host, "ping", f => to.IsIpv4
        ? Ipv4Payload(f.Bytes, out var ip, out int offset) && ip[9] == 1 && offset == 0 && ip.Length > HeaderLength(ip) &&
          ip[HeaderLength(ip)] == 8 && Destination(ip) == to.Ipv4.Value
        : Ipv6Payload(f.Bytes, to.Ipv6, out byte next, out var payload) && next == 58 && payload.Length > 0 && payload[0] == 128, count);

    /// <summary>A UDP datagram from port <paramref name="fromPort"/> to <paramref name="to"/>:<paramref name="port"/>
    /// (its first fragment when it is fragmented).</summary>
    public static FrameCause UdpDatagram(string host, ushort fromPort, IpAddress to, ushort port) => new(host, "udp-send", f => to.IsIpv4
        ? Ipv4Payload(f.Bytes, out var ip, out int offset) && ip[9] == 17 && offset == 0 && ip.Length >= HeaderLength(ip) + 8 &&
          Destination(ip) == to.Ipv4.Value && Ports(ip[HeaderLength(ip)..], fromPort, port)
        : Ipv6Payload(f.Bytes, to.Ipv6, out byte next, out var payload) && next == 17 && payload.Length >= 8 && Ports(payload, fromPort, port));

    private static bool Ports(ReadOnlySpan<byte> transport, ushort source, ushort destination) =>
        BinaryPrimitives.ReadUInt16BigEndian(transport) == source && BinaryPrimitives.ReadUInt16BigEndian(transport[2..]) == destination;

    /// <summary>An IPv6 packet to <paramref name="to"/>: the protocol after the fixed header, or after a fragment
    /// header when this is the first fragment, and that protocol's bytes.</summary>
    private static bool Ipv6Payload(byte[] frame, Ipv6Address to, out byte next, out ReadOnlySpan<byte> payload)
    {
        next = 0;
        payload = default;
        if (frame.Length < 54 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != (ushort)EtherType.Ipv6) return false;
        var ip = frame.AsSpan(14);
        if ((ip[0] >> 4) != 6 || Ipv6Address.Read(ip[24..]) != to) return false;
        next = ip[6];
        payload = ip[40..];
        if (next == 44)
        {
            if (payload.Length < 8 || (BinaryPrimitives.ReadUInt16BigEndian(payload[2..]) & 0xFFF8) != 0) return false;
            next = payload[0];
            payload = payload[8..];
        }
        return true;
    }

    /// <summary>True for an ARP frame (what a step triggers before the frame it causes, when the peer is not cached).</summary>
    public static bool IsArp(CapturedFrame f) =>
        f.Bytes.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(f.Bytes.AsSpan(12)) == (ushort)EtherType.Arp;

    private static bool Ipv4Payload(byte[] frame, out ReadOnlySpan<byte> ip, out int fragmentOffset)
    {
        ip = default;
        fragmentOffset = 0;
        if (frame.Length < 34 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) != (ushort)EtherType.Ipv4) return false;
        ip = frame.AsSpan(14);
        if ((ip[0] >> 4) != 4 || HeaderLength(ip) < 20) return false;
        fragmentOffset = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF;
        return true;
    }

    private static int HeaderLength(ReadOnlySpan<byte> ip) => (ip[0] & 15) * 4;

    private static uint Destination(ReadOnlySpan<byte> ip) => BinaryPrimitives.ReadUInt32BigEndian(ip[16..]);
}
