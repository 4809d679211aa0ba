using System.Buffers.Binary;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>One frame of a replay (from the capture or sent by our stack), with the header fields the
/// comparison looks at decoded once. Fields of layers the frame does not carry are left at their defaults.</summary>
public sealed class ReplayFrame
{
    public ReplayFrame(int number, Instant time, byte[] bytes)
    {
        Number = number;
        Time = time;
        Bytes = bytes;
        Decode();
    }

    /// <summary>1-based position in its file, as Wireshark counts.</summary>
    public int Number { get; }
    /// <summary>When the frame was on the wire: since the capture's earliest frame, or on the replay's clock.</summary>
    public Instant Time { get; }
    public byte[] Bytes { get; }
    /// <summary>The 802.1Q VLAN id the frame was captured with (its tag removed from <see cref="Bytes"/>), or -1.</summary>
    public int Vlan { get; init; } = -1;
    /// <summary>Bytes the capture kept and the frame's length on the wire: less when the snapshot length cut it.</summary>
    public int CapturedLength { get; init; }
    public int OriginalLength { get; init; }
    public bool Truncated => OriginalLength > CapturedLength;
    /// <summary>Left out by the replay's --filter.</summary>
    public bool Filtered { get; init; }

    /// <summary>The same frame at another time.</summary>
    public ReplayFrame At(Instant time) => new(Number, time, Bytes)
    {
        Vlan = Vlan, CapturedLength = CapturedLength, OriginalLength = OriginalLength, Filtered = Filtered,
    };

    public string EthDestination { get; private set; } = "";
    public string EthSource { get; private set; } = "";
    public ushort EtherType { get; private set; }

    public bool IsArp { get; private set; }
    public ushort ArpOperation { get; private set; }
    public string ArpSenderMac { get; private set; } = "";
    public IpAddress ArpSenderIp { get; private set; }
    public string ArpTargetMac { get; private set; } = "";
    public IpAddress ArpTargetIp { get; private set; }

    public bool IsIpv4 { get; private set; }
    /// <summary>An IPv6 packet whose extension headers (hop-by-hop, routing, fragment, destination options) were
    /// walked to the upper layer (<see cref="Protocol"/>).</summary>
    public bool IsIpv6 { get; private set; }
    public bool IsIp => IsIpv4 || IsIpv6;
    /// <summary>IPv4: the header with its options. IPv6: the fixed header and every extension header before the
    /// upper layer.</summary>
    public int IpHeaderLength { get; private set; }
    /// <summary>IPv4 TOS, IPv6 traffic class.</summary>
    public byte Tos { get; private set; }
    /// <summary>IPv6 flow label (0 for IPv4).</summary>
    public int FlowLabel { get; private set; }
    /// <summary>The datagram's length: IPv4 total length, IPv6 40 + payload length.</summary>
    public int IpTotalLength { get; private set; }
    /// <summary>IPv4 identification, or the IPv6 fragment header's identification (0 without one).</summary>
    public uint IpId { get; private set; }
    /// <summary>IPv6: the packet carries a fragment header (an atomic fragment has one with offset 0 and no MF).</summary>
    public bool HasFragmentHeader { get; private set; }
    /// <summary>IPv6 extension headers before the upper layer (next-header values, in order), e.g. "0,44".</summary>
    public string ExtensionHeaders { get; private set; } = "";
    public bool DontFragment { get; private set; }
    public bool MoreFragments { get; private set; }
    public int FragmentOffset { get; private set; }
    /// <summary>IPv4 TTL, IPv6 hop limit.</summary>
    public byte Ttl { get; private set; }
    /// <summary>The upper-layer protocol: IPv4 protocol, IPv6 last next header (58 for ICMPv6).</summary>
    public byte Protocol { get; private set; }
    public IpAddress IpSource { get; private set; }
    public IpAddress IpDestination { get; private set; }
    /// <summary>Where the IP payload (upper layer, or a later fragment's data) starts in <see cref="Bytes"/> and how long it is.</summary>
    public int L4Offset { get; private set; }
    public int L4Length { get; private set; }
    public bool IsFirstFragment => IsIp && FragmentOffset == 0;

    public byte IcmpType { get; private set; }
    public byte IcmpCode { get; private set; }
    public ushort IcmpId { get; private set; }
    public ushort IcmpSequence { get; private set; }
    /// <summary>An echo request or reply of either family (ICMP 8/0, ICMPv6 128/129).</summary>
    public bool IsEchoRequest => IsIcmp && IcmpType == (IsIpv6 ? 128 : 8);
    public bool IsEchoReply => IsIcmp && IcmpType == (IsIpv6 ? 129 : 0);
    /// <summary>ICMPv6 Neighbor Discovery (RFC 4861: router solicitation/advertisement, neighbour solicitation/
    /// advertisement, redirect): IPv6's ARP, compared field by field like ARP.</summary>
    public bool IsNdp => IsIcmp && IsIpv6 && IcmpType is >= 133 and <= 137;
    public bool IsNeighborSolicitation => IsNdp && IcmpType == 135 && L4Length >= 24;
    public bool IsNeighborAdvertisement => IsNdp && IcmpType == 136 && L4Length >= 24;
    /// <summary>The target of a neighbour solicitation or advertisement.</summary>
    public IpAddress NdTarget => IsNeighborSolicitation || IsNeighborAdvertisement ? Ipv6Address.Read(L4[8..]) : default;
    /// <summary>The router, solicited and override bits of a neighbour advertisement (R S O as bits 2 1 0).</summary>
    public int NdFlags => IsNeighborAdvertisement ? L4[4] >> 5 : 0;
    /// <summary>An ARP request or neighbour solicitation (not a duplicate address detection probe) for <paramref name="target"/>.</summary>
    public bool Resolves(IpAddress target) =>
        IsArp ? ArpOperation == 1 && ArpTargetIp == target : IsNeighborSolicitation && !IpSource.Ipv6.IsUnspecified && NdTarget == target;

    /// <summary>Multicast (IPv4 224/4 or ff00::/8) or IPv4 broadcast.</summary>
    public bool IsIpMulticast => IsIpv6 ? IpDestination.Ipv6.IsMulticast
        : IpDestination.Ipv4.Value >> 28 == 14 || IpDestination.Ipv4.Value == 0xffffffff || (IpDestination.Ipv4.Value & 0xff) == 0xff;

    public ushort SourcePort { get; private set; }
    public ushort DestinationPort { get; private set; }
    public int UdpLength { get; private set; }

    public uint Seq { get; private set; }
    public uint Ack { get; private set; }
    public byte TcpFlags { get; private set; }
    public int TcpHeaderLength { get; private set; }
    public int TcpPayloadLength => IsTcp ? L4Length - TcpHeaderLength : 0;
    /// <summary>Offset in <see cref="Bytes"/> of the timestamp option's TSval, or -1.</summary>
    public int TimestampOffset { get; private set; } = -1;

    public bool IsIcmp => IsIp && Protocol == (IsIpv6 ? 58 : 1) && IsFirstFragment && L4Length >= 8;
    public bool IsUdp => IsIp && Protocol == 17 && IsFirstFragment && L4Length >= 8;
    public bool IsTcp => IsIp && Protocol == 6 && IsFirstFragment && TcpHeaderLength >= 20;

    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, AckFlag = 0x10;
    public bool Has(byte flag) => (TcpFlags & flag) != 0;
    public bool IsPureAck => IsTcp && TcpFlags is AckFlag or (AckFlag | Psh) && TcpPayloadLength == 0;

    public ReadOnlySpan<byte> L4 => Bytes.AsSpan(L4Offset, L4Length);
    public ReadOnlySpan<byte> TcpPayload => Bytes.AsSpan(L4Offset + TcpHeaderLength, TcpPayloadLength);
    public ReadOnlySpan<byte> UdpPayload => Bytes.AsSpan(L4Offset + 8, Math.Max(0, Math.Min(UdpLength, L4Length) - 8));

    public uint TsVal => TimestampOffset < 0 ? 0 : BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(TimestampOffset));
    public uint TsEcr => TimestampOffset < 0 ? 0 : BinaryPrimitives.ReadUInt32BigEndian(Bytes.AsSpan(TimestampOffset + 4));

    public static string Mac(ReadOnlySpan<byte> b) => $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}";
    /// <summary>An address as reports write it: dotted quad, or RFC 5952 text.</summary>
    public static string Ip(IpAddress a) => a.ToString();

    /// <summary>An address with a port: 192.0.2.1:80, [2001:db8::1]:80.</summary>
    public static string Endpoint(IpAddress a, int port) => a.IsIpv4 ? $"{a}:{port}" : $"[{a}]:{port}";

    private void Decode()
    {
        var b = Bytes.AsSpan();
        if (b.Length < 14) return;
        EthDestination = Mac(b);
        EthSource = Mac(b[6..]);
        EtherType = BinaryPrimitives.ReadUInt16BigEndian(b[12..]);
        var p = b[14..];
        if (EtherType == 0x0806 && p.Length >= 28)
        {
            IsArp = true;
            ArpOperation = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
            ArpSenderMac = Mac(p[8..]);
            ArpSenderIp = Ipv4Address.Read(p[14..]);
            ArpTargetMac = Mac(p[18..]);
            ArpTargetIp = Ipv4Address.Read(p[24..]);
            return;
        }
        if (EtherType == 0x86dd)
        {
            if (DecodeIpv6(p)) DecodeUpperLayer(b);
            return;
        }
        if (EtherType != 0x0800 || p.Length < 20 || p[0] >> 4 != 4) return;
        int ihl = (p[0] & 15) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
        if (ihl < 20 || total < ihl || total > p.Length) return;
        IsIpv4 = true;
        IpHeaderLength = ihl;
        Tos = p[1];
        IpTotalLength = total;
        IpId = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        ushort frag = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
        DontFragment = (frag & 0x4000) != 0;
        MoreFragments = (frag & 0x2000) != 0;
        FragmentOffset = (frag & 0x1fff) * 8;
        Ttl = p[8];
        Protocol = p[9];
        IpSource = Ipv4Address.Read(p[12..]);
        IpDestination = Ipv4Address.Read(p[16..]);
        L4Offset = 14 + ihl;
        L4Length = total - ihl;
        DecodeUpperLayer(b);
    }

    /// <summary>The fixed header, then the extension headers RFC 8200 §4 defines, to the upper layer; false for a
    /// packet too short for what its headers claim (left undecoded, as IPv4 with a bad length is).</summary>
    private bool DecodeIpv6(ReadOnlySpan<byte> p)
    {
        if (p.Length < Ipv6Packet.HeaderLength || p[0] >> 4 != 6) return false;
        int payload = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
        if (Ipv6Packet.HeaderLength + payload > p.Length) return false;
        uint first = BinaryPrimitives.ReadUInt32BigEndian(p);
        Tos = (byte)(first >> 20);
        FlowLabel = (int)(first & 0xFFFFF);
        Ttl = p[7];
        IpSource = Ipv6Address.Read(p[8..]);
        IpDestination = Ipv6Address.Read(p[24..]);
        IpTotalLength = Ipv6Packet.HeaderLength + payload;
        var packet = p[..IpTotalLength];
        byte next = p[6];
        int at = Ipv6Packet.HeaderLength;
        System.Text.StringBuilder? chain = null;
        // Hop-by-hop, routing, fragment, destination options; anything else (ICMPv6, TCP, UDP, ESP, no next
        // header...) is the upper layer.
        while (next is 0 or 43 or 44 or 60)
        {
            if (chain is null) chain = new System.Text.StringBuilder();
            else chain.Append(',');
            chain.Append(next);
            if (at + 8 > packet.Length) return false;
            if (next == 44)
            {
                var fragment = new Ipv6FragmentHeader(packet[at..]);
                HasFragmentHeader = true;
                FragmentOffset = fragment.FragmentOffset;
                MoreFragments = fragment.MoreFragments;
                IpId = fragment.Identification;
                next = packet[at];
                at += Ipv6FragmentHeader.Length;
                if (FragmentOffset != 0) break; // the rest is data of the fragmented part
                continue;
            }
            int length = (packet[at + 1] + 1) * 8;
            if (at + length > packet.Length) return false;
            next = packet[at];
            at += length;
        }
        IsIpv6 = true;
        Protocol = next;
        ExtensionHeaders = chain?.ToString() ?? "";
        IpHeaderLength = at;
        L4Offset = 14 + at;
        L4Length = IpTotalLength - at;
        return true;
    }

    private void DecodeUpperLayer(ReadOnlySpan<byte> b)
    {
        if (FragmentOffset != 0) return;
        var l4 = b.Slice(L4Offset, L4Length);
        if (Protocol == (IsIpv6 ? 58 : 1) && l4.Length >= 8)
        {
            IcmpType = l4[0];
            IcmpCode = l4[1];
            IcmpId = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
            IcmpSequence = BinaryPrimitives.ReadUInt16BigEndian(l4[6..]);
        }
        else if (Protocol == 17 && l4.Length >= 8)
        {
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            UdpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
        }
        else if (Protocol == 6 && l4.Length >= 20)
        {
            int dataOffset = (l4[12] >> 4) * 4;
            if (dataOffset < 20 || dataOffset > l4.Length) return;
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            Seq = BinaryPrimitives.ReadUInt32BigEndian(l4[4..]);
            Ack = BinaryPrimitives.ReadUInt32BigEndian(l4[8..]);
            TcpFlags = (byte)(l4[13] & 0x3f);
            TcpHeaderLength = dataOffset;
            for (int i = 20; i < dataOffset;)
            {
                byte kind = l4[i];
                if (kind == 0) break;
                if (kind == 1) { i++; continue; }
                if (i + 1 >= dataOffset || l4[i + 1] < 2) break;
                if (kind == 8 && l4[i + 1] == 10 && i + 10 <= dataOffset) TimestampOffset = L4Offset + i + 2;
                i += l4[i + 1];
            }
        }
    }
}
