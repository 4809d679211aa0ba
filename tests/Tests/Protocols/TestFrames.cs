using System.Buffers.Binary;
using Netstack.Tests.Wire;
using Netstack.Wire;
using PacketDotNet;
using PacketDotNet.Utils;
using ArpOperation = Netstack.Wire.ArpOperation;

namespace Netstack.Tests.Protocols;

/// <summary>Frames to feed a stack, built by PacketDotNet (and the reference checksum for ICMP), never by
/// the codecs under test.</summary>
public static class TestFrames
{
    public static byte[] Arp(ArpOperation op, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac,
        Ipv4Address targetIp, MacAddress? ethernetDestination = null)
    {
        var arp = new PacketDotNet.ArpPacket((PacketDotNet.ArpOperation)op, targetMac.ToPhysical(), targetIp.ToSystem(),
            senderMac.ToPhysical(), senderIp.ToSystem());
        var destination = ethernetDestination ?? (op == ArpOperation.Request ? MacAddress.Broadcast : targetMac);
        var eth = new EthernetPacket(senderMac.ToPhysical(), destination.ToPhysical(), EthernetType.Arp) { PayloadPacket = arp };
        return eth.Bytes;
    }

    /// <summary>An IPv4 datagram carrying <paramref name="payload"/> in an Ethernet frame.</summary>
    public static byte[] Ipv4(MacAddress sourceMac, MacAddress destinationMac, Ipv4Address source, Ipv4Address destination,
        IpProtocol protocol, byte[] payload, ushort id = 1, byte ttl = 64, bool dontFragment = false,
        bool moreFragments = false, int fragmentOffsetBytes = 0)
    {
        var ip = new IPv4Packet(source.ToSystem(), destination.ToSystem())
        {
            Protocol = (ProtocolType)protocol,
            TimeToLive = ttl,
            Id = id,
            PayloadData = payload,
        };
        ip.FragmentFlags = (dontFragment ? 2 : 0) | (moreFragments ? 1 : 0);
        ip.FragmentOffset = fragmentOffsetBytes / 8;
        ip.UpdateCalculatedValues();
        ip.UpdateIPChecksum();
        var eth = new EthernetPacket(sourceMac.ToPhysical(), destinationMac.ToPhysical(), EthernetType.IPv4) { PayloadPacket = ip };
        return eth.Bytes;
    }

    /// <summary>An ICMP message: type, code, the 4 rest-of-header bytes, data; checksummed.</summary>
    public static byte[] IcmpMessage(IcmpType type, byte code, uint restOfHeader, ReadOnlySpan<byte> data)
    {
        var m = new byte[8 + data.Length];
        m[0] = (byte)type;
        m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), restOfHeader);
        data.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), ReferenceChecksum.Compute(m));
        return m;
    }

    public static byte[] Echo(IcmpType type, ushort identifier, ushort sequence, ReadOnlySpan<byte> data) =>
        IcmpMessage(type, 0, (uint)identifier << 16 | sequence, data);

    /// <summary>A UDP datagram with a correct checksum for the given addresses.</summary>
    public static byte[] Udp(Ipv4Address source, Ipv4Address destination, ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var ip = new IPv4Packet(source.ToSystem(), destination.ToSystem());
        var udp = new UdpPacket(sourcePort, destinationPort) { PayloadData = payload };
        ip.PayloadPacket = udp;
        ip.UpdateCalculatedValues();
        udp.UpdateCalculatedValues();
        udp.UpdateUdpChecksum();
        return udp.Bytes;
    }

    /// <summary>A data pattern that makes misplaced bytes visible.</summary>
    public static byte[] Pattern(int length, int seed = 0)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(i * 7 + seed);
        return b;
    }
}
