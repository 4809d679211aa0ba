using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using PacketDotNet;
using Netstack.Time;

namespace Netstack.Harness.Trace;

/// <summary>Turns a frame into one line in the spirit of tcpdump (<c>IP 192.0.2.10 &gt; 192.0.2.11: ICMP echo
/// request, id 1, seq 1, length 64</c>), decoded by PacketDotNet rather than by our own codecs, so a report
/// never repeats a bug of the stack it describes.</summary>
public static class FrameDissector
{
    public static string Describe(byte[] frame)
    {
        try
        {
            return DescribeUnsafe(frame);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return $"malformed frame, length {frame.Length}";
        }
    }

    /// <summary>A recorded frame; a TCP segment in packetdrill's notation with relative numbers
    /// (<c>IP 192.0.2.10.49152 &gt; 192.0.2.11.80: P. 1:4(3) ack 1 win 32768 &lt;nop,nop,TS val 7 ecr 3&gt;</c>),
    /// the same text scenarios write in <c>tcp:</c> and failure reports print.</summary>
    public static string Describe(CapturedFrame f)
    {
        var text = Describe(f.Bytes);
        if (Packetdrill.SegmentNotation.Format(f) is not { } segment) return text;
        // Keep the addresses and ports tcpdump prints (and any fragment note), replace the TCP fields.
        int colon = text.IndexOf(": Flags [", StringComparison.Ordinal);
        if (colon < 0) return text;
        int fragment = text.IndexOf(" (frag ", colon, StringComparison.Ordinal);
        return text[..(colon + 2)] + segment + (fragment >= 0 ? text[fragment..] : "");
    }

    /// <summary>A full log line: frame number, virtual time, sending host, dissection.</summary>
    public static string Line(CapturedFrame f)
    {
        var sb = new StringBuilder();
        sb.Append('#').Append(f.Number.ToString(CultureInfo.InvariantCulture).PadRight(4));
        sb.Append(' ').Append(FormatSeconds(f.Time).PadLeft(12));
        sb.Append("  ").Append(f.Host.PadRight(6)).Append(' ').Append(Describe(f));
        foreach (var note in f.Notes) sb.Append("  [").Append(note).Append(']');
        return sb.ToString();
    }

    /// <summary>Seconds with microsecond precision, as tcpdump prints relative times.</summary>
    public static string FormatSeconds(Instant time) =>
        (time.Nanoseconds / (decimal)Duration.NanosecondsPerSecond).ToString("0.000000", CultureInfo.InvariantCulture);

    private static string DescribeUnsafe(byte[] frame)
    {
        if (frame.Length < 14) return $"truncated Ethernet frame, length {frame.Length}";
        var ethernet = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, frame);
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        return etherType switch
        {
            0x0806 => DescribeArp(ethernet, frame.Length - 14),
            0x0800 => DescribeIpv4(ethernet, frame),
            0x86DD => DescribeIpv6(frame),
            _ => $"{ethernet.SourceHardwareAddress.ToColonString()} > {ethernet.DestinationHardwareAddress.ToColonString()}, " +
                 $"ethertype 0x{etherType:x4}, length {frame.Length}",
        };
    }

    private static string DescribeArp(EthernetPacket ethernet, int length)
    {
        var arp = ethernet.Extract<ArpPacket>();
        if (arp is null) return $"ARP, malformed, length {length}";
        return arp.Operation switch
        {
            ArpOperation.Request => $"ARP, Request who-has {arp.TargetProtocolAddress} tell {arp.SenderProtocolAddress}, length 28",
            ArpOperation.Response => $"ARP, Reply {arp.SenderProtocolAddress} is-at {arp.SenderHardwareAddress.ToColonString()}, length 28",
            _ => $"ARP, operation {(int)arp.Operation}, length 28",
        };
    }

    private static string DescribeIpv4(EthernetPacket ethernet, byte[] frame)
    {
        var raw = frame.AsSpan(14);
        if (raw.Length < 20 || (raw[0] >> 4) != 4 || (raw[0] & 15) < 5 || raw.Length < (raw[0] & 15) * 4)
            return $"IP truncated-ip, length {raw.Length}";
        int headerLength = (raw[0] & 15) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(raw[2..]);
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(raw[4..]);
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(raw[6..]);
        int offset = (flagsAndOffset & 0x1FFF) * 8;
        bool more = (flagsAndOffset & 0x2000) != 0;
        byte protocol = raw[9];
        var source = new System.Net.IPAddress(raw.Slice(12, 4));
        var destination = new System.Net.IPAddress(raw.Slice(16, 4));
        int payloadLength = Math.Max(0, Math.Min(totalLength, raw.Length) - headerLength);
        string frag = offset != 0 || more
            ? FormattableString.Invariant($" (frag {id}:{payloadLength}@{offset}{(more ? "+" : "")})")
            : "";
        if (offset != 0)
            return $"IP {source} > {destination}: {ProtocolName(protocol)}{frag}";

        var ip = ethernet.Extract<IPv4Packet>();
        // UDP and TCP lines carry the ports in the addresses, tcpdump style.
        string? withPorts = protocol switch
        {
            17 => DescribeUdp(ip, source, destination, payloadLength),
            6 => DescribeTcp(ip, source, destination, payloadLength),
            _ => null,
        };
        if (withPorts is not null) return $"IP {withPorts}{frag}";
        string body = protocol switch
        {
            1 => DescribeIcmp(ip, raw[headerLength..], payloadLength),
            _ => $"{ProtocolName(protocol)}{(protocol is 6 or 17 ? " truncated" : "")}, length {payloadLength}",
        };
        return $"IP {source} > {destination}: {body}{frag}";
    }

    /// <summary>An IPv6 packet as tcpdump writes it (<c>IP6 2001:db8::a &gt; 2001:db8::b: ICMP6, echo request, id 1,
    /// seq 1, length 64</c>), the extension headers walked to the upper layer; read from the bytes directly (PacketDotNet
    /// does not follow every chain).</summary>
    private static string DescribeIpv6(byte[] frame)
    {
        var raw = frame.AsSpan(14);
        if (raw.Length < 40 || (raw[0] >> 4) != 6) return $"IP6 truncated-ip6, length {raw.Length}";
        var source = new System.Net.IPAddress(raw.Slice(8, 16));
        var destination = new System.Net.IPAddress(raw.Slice(24, 16));
        int end = Math.Min(raw.Length, 40 + BinaryPrimitives.ReadUInt16BigEndian(raw[4..]));
        byte next = raw[6];
        int at = 40;
        string frag = "";
        while (next is 0 or 43 or 44 or 60)
        {
            if (at + 8 > end) return $"IP6 {source} > {destination}: truncated extension header";
            if (next == 44)
            {
                int offset = BinaryPrimitives.ReadUInt16BigEndian(raw[(at + 2)..]) & 0xFFF8;
                bool more = (raw[at + 3] & 1) != 0;
                uint id = BinaryPrimitives.ReadUInt32BigEndian(raw[(at + 4)..]);
                frag = FormattableString.Invariant($" (frag 0x{id:x8}:{end - at - 8}@{offset}{(more ? "+" : "")})");
                next = raw[at];
                at += 8;
                if (offset != 0) return $"IP6 {source} > {destination}: {ProtocolName(next)}{frag}";
                continue;
            }
            next = raw[at];
            at += (raw[at + 1] + 1) * 8;
        }
        if (at > end) return $"IP6 {source} > {destination}: truncated extension header";
        var payload = raw[at..end];
        int length = payload.Length;
        switch (next)
        {
            case 17 when payload.Length >= 8:
                return FormattableString.Invariant(
                    $"IP6 {source}.{BinaryPrimitives.ReadUInt16BigEndian(payload)} > {destination}.{BinaryPrimitives.ReadUInt16BigEndian(payload[2..])}: UDP, length {length - 8}{frag}");
            case 6 when payload.Length >= 20:
                var flags = new StringBuilder();
                byte f = payload[13];
                if ((f & 0x02) != 0) flags.Append('S');
                if ((f & 0x01) != 0) flags.Append('F');
                if ((f & 0x04) != 0) flags.Append('R');
                if ((f & 0x08) != 0) flags.Append('P');
                if ((f & 0x10) != 0) flags.Append('.');
                int dataLength = length - (payload[12] >> 4) * 4;
                return FormattableString.Invariant(
                    $"IP6 {source}.{BinaryPrimitives.ReadUInt16BigEndian(payload)} > {destination}.{BinaryPrimitives.ReadUInt16BigEndian(payload[2..])}: Flags [{flags}], seq {BinaryPrimitives.ReadUInt32BigEndian(payload[4..])}, ack {BinaryPrimitives.ReadUInt32BigEndian(payload[8..])}, win {BinaryPrimitives.ReadUInt16BigEndian(payload[14..])}, length {dataLength}{frag}");
            case 58 when payload.Length >= 8:
                return $"IP6 {source} > {destination}: ICMP6, {DescribeIcmpv6(payload)}, length {length}{frag}";
            default:
                return $"IP6 {source} > {destination}: {ProtocolName(next)}, length {length}{frag}";
        }
    }

    private static string DescribeIcmpv6(ReadOnlySpan<byte> m)
    {
        string target = m.Length >= 24 ? new System.Net.IPAddress(m.Slice(8, 16)).ToString() : "?";
        return m[0] switch
        {
            1 => $"destination unreachable, code {m[1]}",
            2 => FormattableString.Invariant($"packet too big, mtu {BinaryPrimitives.ReadUInt32BigEndian(m[4..])}"),
            3 => $"time exceeded, code {m[1]}",
            4 => FormattableString.Invariant($"parameter problem, code {m[1]}, pointer {BinaryPrimitives.ReadUInt32BigEndian(m[4..])}"),
            128 => FormattableString.Invariant($"echo request, id {BinaryPrimitives.ReadUInt16BigEndian(m[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(m[6..])}"),
            129 => FormattableString.Invariant($"echo reply, id {BinaryPrimitives.ReadUInt16BigEndian(m[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(m[6..])}"),
            130 => "multicast listener query",
            133 => "router solicitation",
            134 => "router advertisement",
            135 => $"neighbor solicitation, who has {target}",
            136 => $"neighbor advertisement, tgt is {target}",
            143 => FormattableString.Invariant($"multicast listener report v2, {BinaryPrimitives.ReadUInt16BigEndian(m[6..])} group record(s)"),
            _ => $"type {m[0]}, code {m[1]}",
        };
    }

    private static string ProtocolName(byte protocol) => protocol switch
    {
        1 => "icmp",
        6 => "tcp",
        17 => "udp",
        58 => "icmp6",
        _ => $"ip-proto-{protocol}",
    };

    private static string DescribeIcmp(IPv4Packet? ip, ReadOnlySpan<byte> payload, int length)
    {
        var icmp = ip?.Extract<IcmpV4Packet>();
        if (icmp is null || payload.Length < 8) return $"icmp truncated, length {length}";
        byte type = payload[0], code = payload[1];
        switch (type)
        {
            case 8:
                return FormattableString.Invariant($"ICMP echo request, id {icmp.Id}, seq {icmp.Sequence}, length {length}");
            case 0:
                return FormattableString.Invariant($"ICMP echo reply, id {icmp.Id}, seq {icmp.Sequence}, length {length}");
            case 3:
                return $"ICMP {DescribeUnreachable(code, payload[8..])}, length {length}";
            case 11:
                return $"ICMP time exceeded in-transit, length {length}";
            default:
                return FormattableString.Invariant($"ICMP type {type} code {code}, length {length}");
        }
    }

    private static string DescribeUnreachable(byte code, ReadOnlySpan<byte> quoted)
    {
        string? destination = null, portText = null;
        if (quoted.Length >= 20)
        {
            destination = new System.Net.IPAddress(quoted.Slice(16, 4)).ToString();
            int ihl = (quoted[0] & 15) * 4;
            if (quoted.Length >= ihl + 4 && ihl >= 20)
            {
                string proto = quoted[9] switch { 17 => "udp", 6 => "tcp", _ => $"proto-{quoted[9]}" };
                portText = $"{proto} port {BinaryPrimitives.ReadUInt16BigEndian(quoted[(ihl + 2)..])}";
            }
        }
        destination ??= "?";
        return code switch
        {
            0 => $"net {destination} unreachable",
            1 => $"host {destination} unreachable",
            2 => $"{destination} protocol {(quoted.Length >= 10 ? quoted[9] : 0)} unreachable",
            3 => $"{destination} {portText ?? "port"} unreachable",
            4 => $"{destination} unreachable - need to frag",
            _ => $"{destination} unreachable code {code}",
        };
    }

    private static string? DescribeUdp(IPv4Packet? ip, System.Net.IPAddress source, System.Net.IPAddress destination, int length)
    {
        var udp = ip?.Extract<UdpPacket>();
        if (udp is null || length < 8) return null;
        return FormattableString.Invariant(
            $"{source}.{udp.SourcePort} > {destination}.{udp.DestinationPort}: UDP, length {udp.Length - 8}");
    }

    private static string? DescribeTcp(IPv4Packet? ip, System.Net.IPAddress source, System.Net.IPAddress destination, int length)
    {
        var tcp = ip?.Extract<TcpPacket>();
        if (tcp is null || length < 20) return null;
        var flags = new StringBuilder();
        if (tcp.Synchronize) flags.Append('S');
        if (tcp.Finished) flags.Append('F');
        if (tcp.Reset) flags.Append('R');
        if (tcp.Push) flags.Append('P');
        if (tcp.Urgent) flags.Append('U');
        if (tcp.Acknowledgment) flags.Append('.');
        if (flags.Length == 0) flags.Append("none");
        int data = length - tcp.DataOffset * 4;
        var ack = tcp.Acknowledgment ? FormattableString.Invariant($", ack {tcp.AcknowledgmentNumber}") : "";
        return FormattableString.Invariant(
            $"{source}.{tcp.SourcePort} > {destination}.{tcp.DestinationPort}: Flags [{flags}], seq {tcp.SequenceNumber}{ack}, win {tcp.WindowSize}, length {data}");
    }
}

internal static class PhysicalAddressText
{
    public static string ToColonString(this System.Net.NetworkInformation.PhysicalAddress mac) =>
        string.Join(':', mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
