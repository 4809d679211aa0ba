using System.Buffers.Binary;
using Netstack.Tests.Wire;
using Netstack.Wire;
using PacketDotNet;
using PacketDotNet.Utils;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>IPv6 frames to feed a stack, built by PacketDotNet (fixed header, Ethernet) and the reference checksum
/// (ICMPv6, UDP and TCP over the IPv6 pseudo-header), never by the codecs under test.</summary>
public static class Ipv6Frames
{
    public static byte[] Bytes(this Ipv6Address a)
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, a.High);
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), a.Low);
        return b;
    }

    public static Ipv6Address ToOurs6(this System.Net.IPAddress address) => Ipv6Address.Read(address.GetAddressBytes());

    /// <summary>An Ethernet frame with an IPv6 packet: the fixed header, then <paramref name="payload"/> as is
    /// (extension headers and upper layer, already checksummed).</summary>
    public static byte[] Packet(MacAddress sourceMac, MacAddress destinationMac, Ipv6Address source, Ipv6Address destination,
        byte nextHeader, byte[] payload, int hopLimit = 64)
    {
        var ip = new IPv6Packet(source.ToSystem(), destination.ToSystem())
        {
            NextHeader = (ProtocolType)nextHeader,
            HopLimit = hopLimit,
            PayloadData = payload,
        };
        ip.PayloadLength = (ushort)payload.Length;
        var eth = new EthernetPacket(sourceMac.ToPhysical(), destinationMac.ToPhysical(), EthernetType.IPv6) { PayloadPacket = ip };
        return eth.Bytes;
    }

    /// <summary>An ICMPv6 message (type, code, 4-byte field, body) with its reference checksum.</summary>
    public static byte[] Icmpv6(Ipv6Address source, Ipv6Address destination, byte type, byte code, uint field, ReadOnlySpan<byte> body)
    {
        var m = new byte[8 + body.Length];
        m[0] = type;
        m[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), field);
        body.CopyTo(m.AsSpan(8));
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 58, m));
        return m;
    }

    public static byte[] Echo(Ipv6Address source, Ipv6Address destination, ushort id, ushort seq, byte[] data, bool reply = false) =>
        Icmpv6(source, destination, reply ? (byte)129 : (byte)128, 0, (uint)id << 16 | seq, data);

    /// <summary>A Neighbor Solicitation body after the 4-byte reserved field: target, then an optional source
    /// link-layer address option.</summary>
    public static byte[] Solicitation(Ipv6Address source, Ipv6Address destination, Ipv6Address target, MacAddress? sll)
    {
        var body = new byte[16 + (sll is null ? 0 : 8)];
        target.Bytes().CopyTo(body, 0);
        if (sll is { } mac) LinkLayerOption(1, mac).CopyTo(body, 16);
        return Icmpv6(source, destination, 135, 0, 0, body);
    }

    public static byte[] Advertisement(Ipv6Address source, Ipv6Address destination, Ipv6Address target, MacAddress? tll,
        bool solicited, bool @override, bool router = false)
    {
        var body = new byte[16 + (tll is null ? 0 : 8)];
        target.Bytes().CopyTo(body, 0);
        if (tll is { } mac) LinkLayerOption(2, mac).CopyTo(body, 16);
        uint flags = (router ? 0x8000_0000u : 0) | (solicited ? 0x4000_0000u : 0) | (@override ? 0x2000_0000u : 0);
        return Icmpv6(source, destination, 136, 0, flags, body);
    }

    public static byte[] LinkLayerOption(byte type, MacAddress mac)
    {
        var o = new byte[8];
        o[0] = type;
        o[1] = 1;
        mac.Write(o.AsSpan(2));
        return o;
    }

    /// <summary>A Router Advertisement: hop limit, lifetime (s), then options as given.</summary>
    public static byte[] RouterAdvertisement(Ipv6Address source, byte hopLimit, ushort lifetime, params byte[][] options)
    {
        var body = new byte[8 + options.Sum(o => o.Length)];
        int at = 8;
        foreach (var o in options)
        {
            o.CopyTo(body, at);
            at += o.Length;
        }
        uint field = (uint)hopLimit << 24 | lifetime;
        return Icmpv6(source, Ipv6Address.AllNodes, 134, 0, field, body);
    }

    public static byte[] PrefixOption(Ipv6Address prefix, int length, bool onLink, bool autonomous, uint valid, uint preferred)
    {
        var o = new byte[32];
        o[0] = 3;
        o[1] = 4;
        o[2] = (byte)length;
        o[3] = (byte)((onLink ? 0x80 : 0) | (autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), valid);
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(8), preferred);
        prefix.Bytes().CopyTo(o, 16);
        return o;
    }

    public static byte[] MtuOption(uint mtu)
    {
        var o = new byte[8];
        o[0] = 5;
        o[1] = 1;
        BinaryPrimitives.WriteUInt32BigEndian(o.AsSpan(4), mtu);
        return o;
    }

    /// <summary>A UDP datagram over IPv6 with its reference checksum.</summary>
    public static byte[] Udp(Ipv6Address source, Ipv6Address destination, ushort sourcePort, ushort destinationPort, byte[] payload)
    {
        var d = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(d, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(4), (ushort)d.Length);
        payload.CopyTo(d, 8);
        ushort c = ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 17, d);
        BinaryPrimitives.WriteUInt16BigEndian(d.AsSpan(6), c == 0 ? (ushort)0xFFFF : c);
        return d;
    }

    /// <summary>An options header (hop-by-hop or destination options) carrying the given options, padded to a
    /// multiple of 8 with PadN.</summary>
    public static byte[] OptionsHeader(byte nextHeader, params byte[][] options)
    {
        int content = 2 + options.Sum(o => o.Length);
        int total = (content + 7) / 8 * 8;
        var h = new byte[total];
        h[0] = nextHeader;
        h[1] = (byte)(total / 8 - 1);
        int at = 2;
        foreach (var o in options)
        {
            o.CopyTo(h, at);
            at += o.Length;
        }
        int pad = total - at;
        if (pad == 1) h[at] = 0;
        else if (pad > 1)
        {
            h[at] = 1;
            h[at + 1] = (byte)(pad - 2);
        }
        return h;
    }

    public static byte[] FragmentHeader(byte nextHeader, int offset, bool more, uint id)
    {
        var h = new byte[8];
        h[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), (ushort)(offset | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(h.AsSpan(4), id);
        return h;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>PacketDotNet's view of an IPv6 packet inside a frame we sent.</summary>
    public static IPv6Packet Ipv6Of(byte[] frame) =>
        (IPv6Packet)((EthernetPacket)PacketDotNet.Packet.ParsePacket(LinkLayers.Ethernet, frame)).PayloadPacket;

    /// <summary>The ICMPv6 message of a frame we sent (after the fixed header and any hop-by-hop header), with its
    /// checksum checked by the reference implementation.</summary>
    public static byte[] Icmpv6Of(byte[] frame, out Ipv6Address source, out Ipv6Address destination, out bool checksumValid)
    {
        var ip = frame.AsSpan(14);
        source = Ipv6Address.Read(ip[8..]);
        destination = Ipv6Address.Read(ip[24..]);
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        int at = 40;
        byte next = ip[6];
        while (next is 0 or 60 or 43)
        {
            next = ip[at];
            at += (ip[at + 1] + 1) * 8;
        }
        var message = ip[at..(40 + payloadLength)].ToArray();
        checksumValid = ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 58, message) == 0;
        return message;
    }
}
