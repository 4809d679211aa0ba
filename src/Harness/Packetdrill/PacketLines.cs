using Netstack.Harness.Scenarios;

namespace Netstack.Harness.Packetdrill;

public enum PacketDirection
{
    /// <summary><c>&lt;</c>: the script injects it into the stack under test.</summary>
    Inbound,
    /// <summary><c>&gt;</c>: the stack under test must send it.</summary>
    Outbound,
}

/// <summary>IP header fields a packet line may pin: <c>[noecn]</c>, <c>[ect0]</c>, <c>[ect1]</c>, <c>[ce]</c>,
/// <c>[ect01]</c>, <c>[tos 0x10]</c>, <c>[ttl 64]</c>, <c>[flowlabel 0x1]</c> (IPv6), comma-separated.
/// <see cref="Location"/> (the opening bracket) is not part of equality.</summary>
public sealed record IpModifiers(string? Ecn, int? Tos, int? Ttl, int? FlowLabel)
{
    public SourceLocation Location { get; init; }

    public bool Equals(IpModifiers? other) =>
        other is not null && Ecn == other.Ecn && Tos == other.Tos && Ttl == other.Ttl && FlowLabel == other.FlowLabel;

    public override int GetHashCode() => HashCode.Combine(Ecn, Tos, Ttl, FlowLabel);

    public override string ToString()
    {
        var parts = new List<string>();
        if (Ecn is not null) parts.Add(Ecn);
        if (Tos is int tos) parts.Add($"tos 0x{tos:x}");
        if (Ttl is int ttl) parts.Add($"ttl {ttl}");
        if (FlowLabel is int label) parts.Add($"flowlabel 0x{label:x}");
        return "[" + string.Join(",", parts) + "]";
    }
}

/// <summary>Explicit source and destination ports written before the segment (<c>&lt; 8080&gt;80 S ...</c>).</summary>
public readonly record struct PortPair(int Source, int Destination);

/// <summary>A <c>&lt;</c> or <c>&gt;</c> line.</summary>
public abstract record PacketLine(PacketDirection Direction, IpModifiers? Ip, PortPair? Ports, SourceLocation Location)
    : EventAction(Location);

/// <summary><c>&lt; S. 0:0(0) ack 1 win 65535 &lt;mss 1460&gt;</c>. <see cref="UdpEncapsulation"/>: the segment is
/// carried in UDP between these ports (nplab's <c>/udp(1 &gt; 9811)</c> suffix).</summary>
public sealed record TcpPacketLine(PacketDirection Direction, IpModifiers? Ip, PortPair? Ports, TcpSegmentSpec Segment,
                                   PortPair? UdpEncapsulation, SourceLocation Location) : PacketLine(Direction, Ip, Ports, Location);

/// <summary><c>&lt; udp (1000)</c>: a datagram with this many payload bytes.</summary>
public sealed record UdpPacketLine(PacketDirection Direction, IpModifiers? Ip, PortPair? Ports, int PayloadLength,
                                   SourceLocation Location) : PacketLine(Direction, Ip, Ports, Location);

public enum QuotedProtocol { Tcp, Udp, Raw }

/// <summary>The packet an ICMP error quotes: <c>[1:1(0)]</c> (a TCP segment, relative sequence numbers),
/// <c>[udp (100)]</c> or <c>[raw (20)]</c>; a quoted TCP segment may be UDP-encapsulated (<c>[0:0(0)/udp(1 &gt; 2)]</c>).</summary>
public sealed record IcmpQuotedPacket(QuotedProtocol Protocol, uint Start, uint End, int Length, SourceLocation Location,
                                      PortPair? UdpEncapsulation = null);

/// <summary><c>&lt; icmp unreachable port_unreachable [1:1(0)]</c>, <c>&lt; icmp unreachable frag_needed mtu 800</c>,
/// <c>&gt; icmp echo_reply id 7</c>. Type and code stay words: which ones apply is the runner's question.</summary>
public sealed record IcmpPacketLine(PacketDirection Direction, IpModifiers? Ip, string Type, string? Code, int? Mtu,
                                    int? EchoId, IcmpQuotedPacket? Quoted, SourceLocation Location)
    : PacketLine(Direction, Ip, null, Location);
