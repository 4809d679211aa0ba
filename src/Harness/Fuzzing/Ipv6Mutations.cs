using System.Buffers.Binary;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Fuzzing;

/// <summary>IPv6-shaped damage for the fuzzer, built from the corpus's addresses so that it reaches the victim's
/// IPv6, ICMPv6 and Neighbor Discovery entry points with valid checksums: chains of extension headers (options with
/// every action bit pattern and lying lengths, routing headers of every type, atomic and real fragments, unknown
/// headers), fragment floods (many datagrams at once, overlaps, tiny first fragments, fragments past 64 KiB), and
/// floods meant to exhaust the neighbour cache and the router-learned state (solicitations and echo requests from many
/// sources, unsolicited advertisements, router advertisements with many prefixes).</summary>
public sealed class Ipv6Mutations(IRandomSource random)
{
    private const int EthernetLength = EthernetFrame.HeaderLength;
    private static readonly MacAddress AllNodesMac = Ipv6Address.AllNodes.MulticastMac;
    private static readonly Ipv6Address RouterLinkLocal = Ipv6Address.Parse("fe80::1");
    private static readonly IpProtocol[] UnknownHeaders = [(IpProtocol)135, (IpProtocol)139, (IpProtocol)140, (IpProtocol)253, (IpProtocol)254];
    private static readonly byte[] OptionTypes = [0x00, 0x01, 0x05, 0x1E, 0x5E, 0x9E, 0xDE, 0xC2, 0x3E, 0x7E, 0xBE, 0xFE];

    /// <summary>One packet whose upper-layer payload (from <paramref name="seed"/> when it is a plain IPv6 packet, else
    /// an echo request) sits behind a random chain of up to 12 extension headers.</summary>
    public byte[] ExtensionChain(byte[] seed)
    {
        var (upper, payload) = UpperLayer(seed);
        var chain = new List<(IpProtocol Kind, byte[] Body)>();
        int headers = 1 + random.NextInt(12);
        for (int i = 0; i < headers; i++)
        {
            int pick = random.NextInt(10);
            var kind = pick switch
            {
                0 or 1 => IpProtocol.Ipv6HopByHop, // also misplaced after the first position
                2 or 3 => IpProtocol.Ipv6DestinationOptions,
                4 or 5 => IpProtocol.Ipv6Routing,
                6 or 7 => IpProtocol.Ipv6Fragment,
                8 => UnknownHeaders[random.NextInt(UnknownHeaders.Length)],
                _ => IpProtocol.Ipv6NoNextHeader,
            };
            if (kind == IpProtocol.Ipv6NoNextHeader)
            {
                upper = IpProtocol.Ipv6NoNextHeader;
                break;
            }
            chain.Add((kind, ExtensionBody(kind)));
        }
        // Link the chain: each header's first byte names the next; the last names the upper layer.
        var body = new List<byte>();
        for (int i = 0; i < chain.Count; i++)
        {
            var b = chain[i].Body;
            b[0] = (byte)(i + 1 < chain.Count ? chain[i + 1].Kind : upper);
            body.AddRange(b);
        }
        int upperOffset = body.Count;
        body.AddRange(payload);
        bool multicast = random.NextInt(8) == 0;
        var destination = multicast ? Ipv6Address.AllNodes : FuzzCorpus.VictimIp6;
        var frame = Packet(FuzzCorpus.SenderIp6, destination, chain.Count > 0 ? chain[0].Kind : upper, body.ToArray(),
            multicast ? AllNodesMac : FuzzCorpus.VictimMac);
        if (upper != IpProtocol.Ipv6NoNextHeader) RepairUpperChecksum(frame, upper, upperOffset);
        if (random.NextInt(10) == 0) // a payload length that disagrees with the frame
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(EthernetLength + 4), (ushort)random.NextInt(body.Count + 64));
        return frame;
    }

    private byte[] ExtensionBody(IpProtocol kind)
    {
        switch (kind)
        {
            case IpProtocol.Ipv6Fragment:
            {
                var b = new byte[8];
                bool atomic = random.NextInt(2) == 0;
                int offset = atomic ? 0 : random.NextInt(8192);
                bool more = !atomic && random.NextInt(2) == 0;
                BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)((offset << 3) | (more ? 1 : 0)));
                BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), (uint)random.NextUInt64());
                return b;
            }
            case IpProtocol.Ipv6Routing:
            {
                int units = random.NextInt(5); // 8..40 bytes
                var b = new byte[8 * (units + 1)];
                b[1] = (byte)(random.NextInt(8) == 0 ? random.NextInt(256) : units); // sometimes a lying length
                b[2] = (byte)(random.NextInt(4) switch { 0 => 0, 1 => 2, 2 => 4, _ => random.NextInt(256) }); // type 0 refused
                b[3] = (byte)(random.NextInt(3) == 0 ? 0 : random.NextInt(4)); // segments left
                for (int i = 4; i < b.Length; i++) b[i] = (byte)random.NextUInt64();
                return b;
            }
            case IpProtocol.Ipv6HopByHop or IpProtocol.Ipv6DestinationOptions:
            {
                int units = random.NextInt(4);
                var b = new byte[8 * (units + 1)];
                b[1] = (byte)(random.NextInt(10) == 0 ? 1 + random.NextInt(255) : units);
                int at = 2;
                while (at < b.Length)
                {
                    byte type = OptionTypes[random.NextInt(OptionTypes.Length)];
                    b[at] = type;
                    if (type == 0) { at++; continue; } // Pad1
                    if (at + 1 >= b.Length) break;
                    int room = b.Length - at - 2;
                    int length = random.NextInt(6) == 0 ? random.NextInt(256) : random.NextInt(room + 1); // lying or fitting
                    b[at + 1] = (byte)length;
                    for (int i = at + 2; i < Math.Min(b.Length, at + 2 + length); i++) b[i] = (byte)random.NextUInt64();
                    at += 2 + length;
                }
                return b;
            }
            default:
            {
                var b = new byte[8 * (1 + random.NextInt(3))];
                b[1] = (byte)(b.Length / 8 - 1);
                for (int i = 2; i < b.Length; i++) b[i] = (byte)random.NextUInt64();
                return b;
            }
        }
    }

    /// <summary>A burst of fragments: many datagrams started at once (more than the reassembler may hold), one
    /// datagram in overlapping or duplicated pieces (RFC 5722), first fragments too short to hold the upper-layer header
    /// (RFC 7112), or fragments whose end lies past 65,535 bytes.</summary>
    public IEnumerable<byte[]> FragmentFlood(byte[] seed)
    {
        var (upper, payload) = UpperLayer(seed);
        switch (random.NextInt(4))
        {
            case 0: // many datagrams, first fragments only: the reassembler's count and memory limits
            {
                int count = 200 + random.NextInt(400);
                int length = 8 * (8 + random.NextInt(160));
                for (int i = 0; i < count; i++)
                    yield return Fragment(upper, (uint)random.NextUInt64(), 0, true, Filler(length));
                yield break;
            }
            case 1: // one datagram in overlapping or duplicated pieces
            {
                uint id = (uint)random.NextUInt64();
                var data = payload.Length >= 64 ? payload : [.. payload, .. Filler(64)];
                int pieces = 3 + random.NextInt(6);
                for (int i = 0; i < pieces; i++)
                {
                    int start = random.NextInt(data.Length / 8) * 8;
                    int length = Math.Max(8, random.NextInt(data.Length - start + 1) & ~7);
                    if (start + length > data.Length) length = data.Length - start;
                    bool more = start + length < data.Length || random.NextInt(3) == 0;
                    yield return Fragment(upper, id, start, more, data.AsSpan(start, length).ToArray());
                }
                yield break;
            }
            case 2: // tiny first fragments: the upper-layer header is not in the first fragment
            {
                int count = 1 + random.NextInt(32);
                for (int i = 0; i < count; i++)
                {
                    uint id = (uint)random.NextUInt64();
                    yield return Fragment(upper, id, 0, true, payload.AsSpan(0, Math.Min(payload.Length, 1 + random.NextInt(7))).ToArray());
                    yield return Fragment(upper, id, 8, false, Filler(8 * (1 + random.NextInt(4))));
                }
                yield break;
            }
            default: // a fragment whose end lies past the largest datagram
            {
                uint id = (uint)random.NextUInt64();
                yield return Fragment(upper, id, 0, true, Filler(1232));
                yield return Fragment(upper, id, 65528 - 8 * random.NextInt(4), random.NextInt(2) == 0, Filler(8 * (1 + random.NextInt(150))));
                yield break;
            }
        }
    }

    /// <summary>A burst of valid Neighbor Discovery traffic from many addresses: solicitations with a source link-layer
    /// option (each would create a neighbour entry), echo requests from unknown on-link sources (each reply needs a
    /// resolution), unsolicited advertisements, router advertisements from many routers with many autonomous
    /// prefixes, or redirects for many destinations from a router the victim has just learned. The victim's cache and
    /// learned lists must stay within their bounds.</summary>
    public IEnumerable<byte[]> NeighborFlood()
    {
        int count = 300 + random.NextInt(1500);
        int kind = random.NextInt(5);
        if (kind == 4)
        {
            foreach (var frame in RedirectFlood(count)) yield return frame;
            yield break;
        }
        for (int i = 0; i < count; i++)
        {
            var mac = RandomMac();
            var source = Ipv6Address.FromPrefixAndInterface(FuzzCorpus.VictimIp6, random.NextUInt64());
            switch (kind)
            {
                case 0:
                {
                    var message = new byte[Ndp.NeighborMessageLength + 8];
                    Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborSolicitation, 0, FuzzCorpus.VictimIp6);
                    NdpOption.WriteLinkLayerAddress(message.AsSpan(Ndp.NeighborMessageLength), NdpOptionType.SourceLinkLayerAddress, mac);
                    var group = FuzzCorpus.VictimIp6.SolicitedNodeMulticast;
                    yield return Icmpv6(source, random.NextInt(2) == 0 ? group : FuzzCorpus.VictimIp6, message,
                        random.NextInt(2) == 0 ? group.MulticastMac : FuzzCorpus.VictimMac, mac);
                    break;
                }
                case 1:
                {
                    var message = new byte[8 + 16];
                    message[0] = (byte)Icmpv6Type.EchoRequest;
                    BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), Icmpv6Packet.EchoField((ushort)i, 1));
                    yield return Icmpv6(source, FuzzCorpus.VictimIp6, message, FuzzCorpus.VictimMac, mac, hopLimit: 64);
                    break;
                }
                case 2:
                {
                    var message = new byte[Ndp.NeighborMessageLength + 8];
                    Ndp.WriteNeighborMessage(message, Icmpv6Type.NeighborAdvertisement, (byte)(random.NextInt(2) == 0 ? 0x20 : 0x60), source);
                    NdpOption.WriteLinkLayerAddress(message.AsSpan(Ndp.NeighborMessageLength), NdpOptionType.TargetLinkLayerAddress, mac);
                    yield return Icmpv6(source, Ipv6Address.AllNodes, message, AllNodesMac, mac);
                    break;
                }
                default:
                {
                    int prefixes = 1 + random.NextInt(4);
                    var message = new byte[Ndp.RouterAdvertisementLength + 8 + 32 * prefixes];
                    Ndp.WriteRouterAdvertisement(message, 64, (ushort)(random.NextInt(4) == 0 ? 0 : 1800), 0, 0);
                    NdpOption.WriteLinkLayerAddress(message.AsSpan(Ndp.RouterAdvertisementLength), NdpOptionType.SourceLinkLayerAddress, mac);
                    for (int p = 0; p < prefixes; p++)
                    {
                        var prefix = new Ipv6Address(0x2001_0db8_0000_0000UL | (random.NextUInt64() & 0xFFFF_FFFFUL), 0);
                        NdpOption.WritePrefixInformation(message.AsSpan(Ndp.RouterAdvertisementLength + 8 + 32 * p), prefix, 64,
                            onLink: true, autonomous: true, validLifetime: 86400, preferredLifetime: 14400);
                    }
                    var router = new Ipv6Address(RouterLinkLocal.High, random.NextUInt64());
                    yield return Icmpv6(router, Ipv6Address.AllNodes, message, AllNodesMac, mac);
                    break;
                }
            }
        }
    }

    /// <summary>A router advertisement that makes <see cref="RouterLinkLocal"/> a default router, then
    /// <paramref name="count"/> redirects from it (RFC 4861 §8), each for a distinct off-link destination, to a random
    /// link-local target with its link-layer address: every one is valid, so the victim's redirect cache and neighbour
    /// cache must hold them within their bounds.</summary>
    public IEnumerable<byte[]> RedirectFlood(int count)
    {
        var routerMac = RandomMac();
        var advertisement = new byte[Ndp.RouterAdvertisementLength + 8];
        Ndp.WriteRouterAdvertisement(advertisement, 64, 1800, 0, 0);
        NdpOption.WriteLinkLayerAddress(advertisement.AsSpan(Ndp.RouterAdvertisementLength), NdpOptionType.SourceLinkLayerAddress, routerMac);
        yield return Icmpv6(RouterLinkLocal, Ipv6Address.AllNodes, advertisement, AllNodesMac, routerMac);
        for (int i = 0; i < count; i++)
        {
            var message = new byte[Ndp.RedirectLength + 8];
            message[0] = (byte)Icmpv6Type.Redirect;
            new Ipv6Address(RouterLinkLocal.High, random.NextUInt64()).Write(message.AsSpan(8));
            new Ipv6Address(0x2001_0db8_ffff_0000UL | (random.NextUInt64() & 0xFFFFUL), random.NextUInt64()).Write(message.AsSpan(24));
            NdpOption.WriteLinkLayerAddress(message.AsSpan(Ndp.RedirectLength), NdpOptionType.TargetLinkLayerAddress, RandomMac());
            yield return Icmpv6(RouterLinkLocal, FuzzCorpus.VictimIp6, message, FuzzCorpus.VictimMac, routerMac);
        }
    }

    /// <summary>The upper-layer protocol and bytes of <paramref name="seed"/> when it is an IPv6 packet from the sender
    /// without extension headers, else an ICMPv6 echo request.</summary>
    private (IpProtocol Upper, byte[] Payload) UpperLayer(byte[] seed)
    {
        if (seed.Length > EthernetLength + Ipv6Packet.HeaderLength &&
            BinaryPrimitives.ReadUInt16BigEndian(seed.AsSpan(12)) == (ushort)EtherType.Ipv6 &&
            (IpProtocol)seed[EthernetLength + 6] is IpProtocol.Icmpv6 or IpProtocol.Udp or IpProtocol.Tcp)
            return ((IpProtocol)seed[EthernetLength + 6], seed[(EthernetLength + Ipv6Packet.HeaderLength)..]);
        var echo = new byte[8 + 56];
        echo[0] = (byte)Icmpv6Type.EchoRequest;
        BinaryPrimitives.WriteUInt32BigEndian(echo.AsSpan(4), Icmpv6Packet.EchoField(0xF0, (ushort)random.NextInt(65536)));
        return (IpProtocol.Icmpv6, echo);
    }

    private byte[] Fragment(IpProtocol upper, uint identification, int offset, bool more, byte[] data)
    {
        var body = new byte[Ipv6FragmentHeader.Length + data.Length];
        Ipv6FragmentHeader.Write(body, upper, offset, more, identification);
        data.CopyTo(body, Ipv6FragmentHeader.Length);
        return Packet(FuzzCorpus.SenderIp6, FuzzCorpus.VictimIp6, IpProtocol.Ipv6Fragment, body, FuzzCorpus.VictimMac);
    }

    private byte[] Icmpv6(Ipv6Address source, Ipv6Address destination, byte[] message, MacAddress destinationMac,
        MacAddress sourceMac, byte hopLimit = 255)
    {
        Icmpv6Packet.WriteChecksum(message, source, destination);
        return Packet(source, destination, IpProtocol.Icmpv6, message, destinationMac, sourceMac, hopLimit);
    }

    private static byte[] Packet(Ipv6Address source, Ipv6Address destination, IpProtocol next, byte[] body,
        MacAddress destinationMac, MacAddress? sourceMac = null, byte hopLimit = 64)
    {
        var frame = new byte[EthernetLength + Ipv6Packet.HeaderLength + body.Length];
        EthernetFrame.WriteHeader(frame, destinationMac, sourceMac ?? FuzzCorpus.SenderMac, EtherType.Ipv6);
        Ipv6Packet.WriteHeader(frame.AsSpan(EthernetLength), new Ipv6Header(source, destination, next, body.Length, hopLimit));
        body.CopyTo(frame, EthernetLength + Ipv6Packet.HeaderLength);
        return frame;
    }

    /// <summary>Recomputes the ICMPv6, UDP or TCP checksum of the upper layer at <paramref name="offset"/> bytes into
    /// the payload (over the pseudo-header with the packet's own addresses).</summary>
    public static void RepairUpperChecksum(byte[] frame, IpProtocol upper, int offset)
    {
        var ip = frame.AsSpan(EthernetLength);
        var l4 = ip[(Ipv6Packet.HeaderLength + offset)..];
        var src = Ipv6Address.Read(ip[8..]);
        var dst = Ipv6Address.Read(ip[24..]);
        int at = upper switch { IpProtocol.Icmpv6 => 2, IpProtocol.Udp => 6, IpProtocol.Tcp => 16, _ => -1 };
        if (at < 0 || l4.Length < at + 2) return;
        l4[at] = l4[at + 1] = 0;
        ushort sum = Checksum.Fold(Checksum.Accumulate(Checksum.PseudoHeader(src, dst, (byte)upper, l4.Length), l4));
        if (upper == IpProtocol.Udp && sum == 0) sum = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(l4[at..], sum);
    }

    private byte[] Filler(int length)
    {
        var b = new byte[length];
        for (int i = 0; i < b.Length; i++) b[i] = (byte)i;
        return b;
    }

    private MacAddress RandomMac() => new(0x02_00_0000_0000UL | (random.NextUInt64() & 0xFF_FFFF_FFFFUL));
}
