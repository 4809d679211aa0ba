using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>Frames the replay makes up on behalf of a captured endpoint: ARP replies and neighbour advertisements
/// for the addresses it plays, and the handshake a capture that started mid-connection lacks. Checksums are computed.</summary>
public static class SyntheticFrames
{
    public static byte[] ArpReply(string senderMac, IpAddress senderIp, string targetMac, IpAddress targetIp)
    {
        var f = new byte[42];
        MacAddress.Parse(targetMac).Write(f);
        MacAddress.Parse(senderMac).Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        var arp = f.AsSpan(14);
        BinaryPrimitives.WriteUInt16BigEndian(arp, 1);
        BinaryPrimitives.WriteUInt16BigEndian(arp[2..], 0x0800);
        arp[4] = 6;
        arp[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(arp[6..], 2);
        MacAddress.Parse(senderMac).Write(arp[8..]);
        senderIp.Ipv4.Write(arp[14..]);
        MacAddress.Parse(targetMac).Write(arp[18..]);
        targetIp.Ipv4.Write(arp[24..]);
        return f;
    }

    /// <summary>A solicited neighbour advertisement (RFC 4861 §7.2.4: S and O set, the target's MAC in a target
    /// link-layer address option), as Linux answers a solicitation, from the target to the soliciting address.</summary>
    public static byte[] NeighborAdvertisement(string senderMac, Ipv6Address target, string toMac, Ipv6Address to)
    {
        const int length = Ndp.NeighborMessageLength + 8;
        var f = new byte[14 + Ipv6Packet.HeaderLength + length];
        MacAddress.Parse(toMac).Write(f);
        MacAddress.Parse(senderMac).Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x86dd);
        Ipv6Packet.WriteHeader(f.AsSpan(14), new Ipv6Header(target, to, IpProtocol.Icmpv6, length, 255));
        var message = f.AsSpan(14 + Ipv6Packet.HeaderLength, length);
        target.Write(message[8..]);
        NdpOption.WriteLinkLayerAddress(message[Ndp.NeighborMessageLength..], NdpOptionType.TargetLinkLayerAddress, MacAddress.Parse(senderMac));
        Icmpv6Packet.WriteHeaderAndChecksum(message, Icmpv6Type.NeighborAdvertisement, 0,
            (uint)(Ndp.SolicitedFlag | Ndp.OverrideFlag) << 24, target, to);
        return f;
    }

    /// <summary>A TCP segment without payload. On a SYN the options offer what a Linux peer offers (MSS 1460,
    /// SACK, timestamps when the connection has them) and the largest window scale: the scale the peer really
    /// used is unknown, and overestimating the peer's window cannot stall a scripted peer.</summary>
    public static byte[] TcpSegment(string srcMac, string dstMac, IpAddress srcIp, IpAddress dstIp, ushort srcPort, ushort dstPort,
        uint seq, uint ack, byte flags, bool timestamps, uint tsVal, uint tsEcr)
    {
        var options = new List<byte>();
        if ((flags & ReplayFrame.Syn) != 0)
        {
            options.AddRange([2, 4, 0x05, 0xb4, 4, 2]);
            if (timestamps) options.AddRange(TimestampOption(tsVal, tsEcr));
            else options.AddRange([1, 1]);
            options.AddRange([1, 3, 3, 14]);
        }
        else if (timestamps) options.AddRange([1, 1, .. TimestampOption(tsVal, tsEcr)]);
        int tcpLength = 20 + options.Count;
        int ipLength = srcIp.IsIpv4 ? 20 : Ipv6Packet.HeaderLength;
        var f = new byte[14 + ipLength + tcpLength];
        MacAddress.Parse(dstMac).Write(f);
        MacAddress.Parse(srcMac).Write(f.AsSpan(6));
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), srcIp.IsIpv4 ? (ushort)0x0800 : (ushort)0x86dd);
        var ip = f.AsSpan(14, ipLength);
        if (srcIp.IsIpv4)
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + tcpLength));
            ip[6] = 0x40; // DF, as Linux sends TCP
            ip[8] = 64;
            ip[9] = 6;
            srcIp.Ipv4.Write(ip[12..]);
            dstIp.Ipv4.Write(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Compute(ip));
        }
        else Ipv6Packet.WriteHeader(ip, new Ipv6Header(srcIp.Ipv6, dstIp.Ipv6, IpProtocol.Tcp, tcpLength, 64));
        var tcp = f.AsSpan(14 + ipLength, tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], dstPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = (byte)(tcpLength / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        options.ToArray().CopyTo(tcp[20..]);
        ulong sum = Checksum.PseudoHeader(srcIp, dstIp, 6, tcpLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], Checksum.Fold(Checksum.Accumulate(sum, tcp)));
        return f;
    }

    private static byte[] TimestampOption(uint tsVal, uint tsEcr)
    {
        var o = new byte[10];
        o[0] = 8;
        o[1] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(2), tsVal);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(6), tsEcr);
        return o;
    }
}
