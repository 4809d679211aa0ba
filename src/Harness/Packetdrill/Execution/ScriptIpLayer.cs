using System.Buffers.Binary;
using Netstack.Harness.Trace;
using Netstack.Wire;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>The IP layer of a script's packets, IPv4 or IPv6 as <c>--ip_version</c> says: wraps what the scripted
/// peer injects (with the pseudo-header checksums of the family, <c>(ttl)</c>/<c>(hlim)</c>, <c>(tos)</c>/
/// <c>(class)</c>, ECN and the flow label), builds the local host's packet an ICMP error quotes, and names the
/// ICMP protocol of the family. Its own byte code over <see cref="FrameBuilder"/> / <see cref="Ipv6FrameBuilder"/>,
/// not the stack's.</summary>
public sealed class ScriptIpLayer(ScriptAddresses addresses)
{
    public const byte ProtocolIcmpv6 = 58;

    public bool IsIpv6 => addresses.WireIsIpv6;
    public IpAddress Local => addresses.Local;
    public IpAddress Remote => addresses.Remote;
    public ushort EtherType => IsIpv6 ? Ipv6FrameBuilder.EtherTypeIpv6 : FrameBuilder.EtherTypeIpv4;
    public byte IcmpProtocol => IsIpv6 ? ProtocolIcmpv6 : SegmentCodec.ProtocolIcmp;

    /// <summary>The IP header's length without options or extension headers.</summary>
    public int HeaderLength => IsIpv6 ? 40 : 20;

    /// <summary>A packet from the remote to the local host carrying <paramref name="message"/>.</summary>
    public byte[] FromRemote(byte protocol, ReadOnlySpan<byte> message, IpModifiers? ip)
    {
        byte trafficClass = (byte)((ip?.Tos ?? 0) | (ip?.Ecn switch { "ect0" => 2, "ect1" => 1, "ce" => 3, _ => 0 }));
        byte hops = (byte)(ip?.Ttl ?? 64);
        if (!IsIpv6)
            return FrameBuilder.Ipv4(new FrameBuilder.Ipv4Fields(Remote.Ipv4, Local.Ipv4, protocol) { TimeToLive = hops, TypeOfService = trafficClass },
                message);
        var packet = Ipv6FrameBuilder.Packet(Remote.Ipv6, Local.Ipv6, protocol, hops, message);
        // Version 6, traffic class, flow label (RFC 8200 §3).
        BinaryPrimitives.WriteUInt32BigEndian(packet, 6u << 28 | (uint)trafficClass << 20 | (uint)(ip?.FlowLabel ?? 0) & 0xFFFFF);
        return packet;
    }

    /// <summary>The local host's packet as a router quotes it in an ICMP error: the IP header (its length field
    /// claiming <paramref name="claimedPayload"/> bytes after it) and the start of <paramref name="transport"/>:
    /// 20 bytes after an IPv4 header, 8 after IPv6's (packetdrill's ICMP_ECHO_BYTES; enough for ports and sequence).</summary>
    public byte[] Quoted(byte protocol, ReadOnlySpan<byte> transport, int claimedPayload)
    {
        if (!IsIpv6)
        {
            var original = FrameBuilder.Ipv4(new FrameBuilder.Ipv4Fields(Local.Ipv4, Remote.Ipv4, protocol) { TotalLength = 20 + claimedPayload }, transport);
            return original.AsSpan(0, Math.Min(original.Length, 20 + 20)).ToArray();
        }
        var packet = Ipv6FrameBuilder.Packet(Local.Ipv6, Remote.Ipv6, protocol, 64, transport[..Math.Min(transport.Length, 8)]);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)claimedPayload);
        return packet;
    }

    /// <summary>An ICMP (or ICMPv6) message from the remote, checksummed for the family (ICMPv6's covers the
    /// pseudo-header, RFC 4443 §2.3). <paramref name="high"/>/<paramref name="low"/> are the two halves of the
    /// word after the checksum (echo id and sequence, or the MTU).</summary>
    public byte[] Icmp(byte type, byte code, ushort high, ushort low, ReadOnlySpan<byte> quoted)
    {
        var message = FrameBuilder.Icmp(type, code, high, low, quoted, false);
        if (!IsIpv6) return message;
        message[2] = message[3] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2),
            Ipv6FrameBuilder.TransportChecksum(Remote.Ipv6, Local.Ipv6, ProtocolIcmpv6, message));
        return message;
    }
}

/// <summary>The IP packet of a frame a host sent, IPv4 or IPv6 (its fixed header; TCP, UDP and ICMPv6 follow it
/// directly in what the stacks send), without the Ethernet padding. <see cref="HeaderLength"/> is 0 for anything
/// else (ARP, a truncated packet).</summary>
public readonly ref struct SentIpPacket
{
    public ReadOnlySpan<byte> Packet { get; }
    public bool IsIpv6 { get; }
    public int HeaderLength { get; }
    /// <summary>IPv4's protocol or IPv6's next header.</summary>
    public byte Protocol { get; }
    /// <summary>IPv4's TOS byte or IPv6's traffic class (both with the ECN bits low).</summary>
    public byte TrafficClass { get; }
    public IpAddress Source { get; }
    /// <summary>IPv4's TTL or IPv6's hop limit.</summary>
    public byte HopLimit => IsIpv6 ? Packet[7] : Packet[8];

    public bool IsValid => HeaderLength > 0;
    public ReadOnlySpan<byte> Payload => Packet[HeaderLength..];

    private SentIpPacket(ReadOnlySpan<byte> packet, bool ipv6, int headerLength, byte protocol, byte trafficClass, IpAddress source)
    {
        Packet = packet;
        (IsIpv6, HeaderLength, Protocol, TrafficClass, Source) = (ipv6, headerLength, protocol, trafficClass, source);
    }

    public static SentIpPacket Read(byte[] frame)
    {
        if (frame.Length < 34) return default;
        var ip = frame.AsSpan(14);
        switch (BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)))
        {
            case FrameBuilder.EtherTypeIpv4:
            {
                int ihl = (ip[0] & 15) * 4;
                int total = Math.Min(ip.Length, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
                if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl) return default;
                return new SentIpPacket(ip[..total], false, ihl, ip[9], ip[1], new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(ip[12..])));
            }
            case Ipv6FrameBuilder.EtherTypeIpv6:
            {
                if (ip.Length < 40 || (ip[0] >> 4) != 6) return default;
                int total = Math.Min(ip.Length, 40 + BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
                byte trafficClass = (byte)(BinaryPrimitives.ReadUInt16BigEndian(ip) >> 4);
                return new SentIpPacket(ip[..total], true, 40, ip[6], trafficClass, Ipv6Address.Read(ip[8..]));
            }
            default:
                return default;
        }
    }

    /// <summary>Rewrites the IP length field of <paramref name="frame"/> (no Ethernet padding) to cover all of it:
    /// after segments were merged into one.</summary>
    public static void FitLength(byte[] frame)
    {
        bool ipv6 = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)) == Ipv6FrameBuilder.EtherTypeIpv6;
        if (ipv6) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), (ushort)(frame.Length - 14 - 40));
        else BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 2), (ushort)(frame.Length - 14));
    }
}
