using System.Buffers.Binary;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>IPv6 packets for a scripted peer (RFC 8200 fixed header, no extension headers), with the harness's own
/// checksum code over the IPv6 pseudo-header (RFC 8200 §8.1), and the router advertisement a scripted router sends
/// (RFC 4861 §4.2).</summary>
public static class Ipv6FrameBuilder
{
    public const ushort EtherTypeIpv6 = 0x86DD;
    public const byte NextHeaderTcp = 6, NextHeaderUdp = 17, NextHeaderIcmpv6 = 58;

    /// <summary>The fixed header and <paramref name="payload"/>.</summary>
    public static byte[] Packet(Ipv6Address source, Ipv6Address destination, byte nextHeader, byte hopLimit, ReadOnlySpan<byte> payload)
    {
        var p = new byte[40 + payload.Length];
        p[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)payload.Length);
        p[6] = nextHeader;
        p[7] = hopLimit;
        source.Write(p.AsSpan(8));
        destination.Write(p.AsSpan(24));
        payload.CopyTo(p.AsSpan(40));
        return p;
    }

    /// <summary>The Internet checksum of an upper-layer message with the IPv6 pseudo-header.</summary>
    public static ushort TransportChecksum(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> upper)
    {
        Span<byte> pseudo = stackalloc byte[40];
        source.Write(pseudo);
        destination.Write(pseudo[16..]);
        BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)upper.Length);
        pseudo[39] = nextHeader;
        return FrameBuilder.Complement(FrameBuilder.Sum(FrameBuilder.Sum(0, pseudo), upper));
    }

    /// <summary>A whole frame: Ethernet to <paramref name="destinationMac"/> carrying <paramref name="upper"/>, whose
    /// checksum (at <paramref name="checksumOffset"/>) is filled in here.</summary>
    public static byte[] Frame(MacAddress destinationMac, MacAddress sourceMac, Ipv6Address source, Ipv6Address destination,
        byte nextHeader, byte hopLimit, byte[] upper, int checksumOffset)
    {
        upper[checksumOffset] = upper[checksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(upper.AsSpan(checksumOffset), TransportChecksum(source, destination, nextHeader, upper));
        return FrameBuilder.Ethernet(destinationMac, sourceMac, EtherTypeIpv6, Packet(source, destination, nextHeader, hopLimit, upper));
    }

    /// <summary>Reads a neighbour solicitation frame (Ethernet 14 + IPv6 40 + NS: type 135 at 54, target at 62, hop
    /// limit 255): whom it asks for and who asks; false for any other frame.</summary>
    public static bool TryReadSolicitation(ReadOnlySpan<byte> frame, out Ipv6Address target, out Ipv6Address asker, out MacAddress askerMac)
    {
        (target, asker, askerMac) = (default, default, default);
        if (frame.Length < 78 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeIpv6 ||
            frame[20] != NextHeaderIcmpv6 || frame[21] != 255 || frame[54] != 135) return false;
        target = Ipv6Address.Read(frame[62..]);
        asker = Ipv6Address.Read(frame[22..]);
        askerMac = MacAddress.Read(frame[6..]);
        return true;
    }

    /// <summary>The solicited neighbour advertisement (RFC 4861 §7.2.4: solicited, override) of
    /// <paramref name="target"/> at <paramref name="ownMac"/>, answering <paramref name="asker"/>.</summary>
    public static byte[] NeighborAdvertisement(MacAddress ownMac, Ipv6Address target, MacAddress askerMac, Ipv6Address asker)
    {
        var advertisement = new byte[32];
        advertisement[0] = 136;
        advertisement[4] = 0x60; // solicited, override
        target.Write(advertisement.AsSpan(8));
        advertisement[24] = 2; // target link-layer address
        advertisement[25] = 1;
        ownMac.Write(advertisement.AsSpan(26));
        return Frame(askerMac, ownMac, target, asker, NextHeaderIcmpv6, 255, advertisement, 2);
    }

    /// <summary>A router advertisement from <paramref name="routerMac"/>'s link-local address to all nodes: router
    /// lifetime, one prefix information option (on-link and autonomous), the source link-layer address, and an
    /// MTU option when <paramref name="mtu"/> is given. Hop limit 255, as RFC 4861 §6.1.2 requires.</summary>
    public static byte[] RouterAdvertisement(MacAddress routerMac, Ipv6Cidr prefix, ushort routerLifetimeSeconds,
        uint validLifetimeSeconds, uint preferredLifetimeSeconds, uint? mtu)
    {
        var m = new byte[16 + 8 + 32 + (mtu is null ? 0 : 8)];
        m[0] = 134;
        m[4] = 64; // cur hop limit
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), routerLifetimeSeconds);
        // reachable time and retrans timer 0: unspecified, the host keeps its own
        m[16] = 1; // source link-layer address
        m[17] = 1;
        routerMac.Write(m.AsSpan(18));
        var option = m.AsSpan(24);
        option[0] = 3; // prefix information
        option[1] = 4;
        option[2] = (byte)prefix.PrefixLength;
        option[3] = 0xC0; // L and A
        BinaryPrimitives.WriteUInt32BigEndian(option[4..], validLifetimeSeconds);
        BinaryPrimitives.WriteUInt32BigEndian(option[8..], preferredLifetimeSeconds);
        prefix.Network.Write(option[16..]);
        if (mtu is { } value)
        {
            m[56] = 5;
            m[57] = 1;
            BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(60), value);
        }
        var source = Ipv6Address.LinkLocalFromMac(routerMac);
        return Frame(Ipv6Address.AllNodes.MulticastMac, routerMac, source, Ipv6Address.AllNodes, NextHeaderIcmpv6, 255, m, 2);
    }
}
