using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>IPv6 (RFC 8200) for a host: validation, extension-header walking (hop-by-hop and destination options
/// by their option-type bits, routing headers refused, fragments to reassembly, atomic fragments processed in
/// place), delivery to upper layers, routing (on-link prefixes, then a default router), source selection and
/// fragmentation to the path MTU. IPv6 packets are not forwarded.</summary>
public sealed class Ipv6Layer
{
    /// <summary>A hop-by-hop header carrying a Router Alert for MLD (RFC 2711 value 0) and two bytes of padding.</summary>
    private const int RouterAlertHeaderLength = 8;

    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly IIpv6Protocol?[] _protocols = new IIpv6Protocol?[256];
    private uint _nextIdentification;
    private bool _identificationDrawn;

    internal Ipv6Layer(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
        Reassembler = new Ipv6Reassembler(stack);
        PathMtu = new PathMtuCache(stack);
        Icmp = new Icmpv6(stack);
        Register(IpProtocol.Icmpv6, Icmp);
    }

    /// <summary>Reassembly of fragmented packets addressed to us.</summary>
    public Ipv6Reassembler Reassembler { get; }
    /// <summary>Path MTUs learned from Packet Too Big (RFC 8201).</summary>
    public PathMtuCache PathMtu { get; }
    /// <summary>ICMPv6: echo, errors and the Neighbor Discovery messages.</summary>
    public Icmpv6 Icmp { get; }

    /// <summary>Makes <paramref name="handler"/> receive packets and ICMPv6 errors for <paramref name="protocol"/>.</summary>
    public void Register(IpProtocol protocol, IIpv6Protocol handler) => _protocols[(byte)protocol] = handler;
    internal IIpv6Protocol? Handler(IpProtocol protocol) => _protocols[(byte)protocol];

    /// <summary>Handles one received packet on an interface with IPv6 enabled. Anything malformed or not for us is
    /// dropped and counted (<see cref="DropReason"/>), some answered with ICMPv6 errors as RFC 8200 asks.</summary>
    /// <param name="bytes">The Ethernet payload, from the fixed header on; may include link padding.</param>
    /// <param name="iface">The interface it arrived on.</param>
    /// <param name="transportChecksumVerified">The device vouched for the TCP/UDP checksum.</param>
    /// <param name="linkMulticast">The frame was addressed to a multicast or broadcast MAC.</param>
    public void Receive(ReadOnlySpan<byte> bytes, NetworkInterface iface, bool transportChecksumVerified = false,
        bool linkMulticast = false)
    {
        var ip = iface.Ipv6;
        var packet = new Ipv6Packet(bytes);
        switch (packet.Validate())
        {
            case Ipv6Malformation.None: break;
            case Ipv6Malformation.Truncated: _counters.Drop(DropReason.Ipv6Truncated); return;
            case Ipv6Malformation.BadVersion: _counters.Drop(DropReason.Ipv6BadVersion); return;
            default: _counters.Drop(DropReason.Ipv6PayloadLengthBeyondFrame); return;
        }
        if (ip is null)
        {
            _counters.Drop(DropReason.EthernetUnknownType);
            return;
        }
        var datagram = packet.Datagram;
        var source = packet.Source;
        var destination = packet.Destination;
        if (source.IsMulticast || source.IsLoopback || destination.IsLoopback || destination.IsUnspecified
            || (!source.IsUnspecified && ip.HasUsableAddress(source)))
        {
            _counters.Drop(DropReason.Ipv6InvalidSource);
            return;
        }
        if (destination.IsMulticast)
        {
            if (!ip.IsMember(destination))
            {
                _counters.Drop(DropReason.Ipv6NotForUs);
                return;
            }
        }
        else if (ip.Find(destination) is not { } ours || ours.State == Ipv6AddressState.Duplicate)
        {
            _counters.Drop(DropReason.Ipv6NotForUs);
            return;
        }
        else if (ours.State == Ipv6AddressState.Tentative && !IsNeighborMessage(datagram))
        {
            _counters.Drop(DropReason.Ipv6TentativeDestination);
            return;
        }
        Process(datagram, Ipv6Packet.HeaderLength, packet.NextHeader, 6, iface, transportChecksumVerified, linkMulticast);
    }

    /// <summary>RFC 4862 §5.4: of the packets to a tentative address only Neighbor Solicitations and Advertisements
    /// (duplicate address detection) are processed.</summary>
    private static bool IsNeighborMessage(ReadOnlySpan<byte> datagram) =>
        datagram[6] == (byte)IpProtocol.Icmpv6 && datagram.Length > Ipv6Packet.HeaderLength
        && (Icmpv6Type)datagram[Ipv6Packet.HeaderLength] is Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement;

    /// <summary>Walks the header chain from <paramref name="offset"/> (RFC 8200 §4): each extension header in turn,
    /// then the upper layer. <paramref name="nextHeaderField"/> is the offset of the field that named
    /// <paramref name="header"/>, which Parameter Problem messages point at.</summary>
    internal void Process(ReadOnlySpan<byte> datagram, int offset, IpProtocol header, int nextHeaderField, NetworkInterface iface,
        bool transportChecksumVerified, bool linkMulticast)
    {
        while (true)
        {
            int length;
            switch (header)
            {
                case IpProtocol.Ipv6HopByHop or IpProtocol.Ipv6DestinationOptions:
                    if (header == IpProtocol.Ipv6HopByHop && offset != Ipv6Packet.HeaderLength)
                    {
                        _counters.Drop(DropReason.Ipv6HopByHopNotFirst);
                        Icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.UnrecognizedNextHeader,
                            (uint)nextHeaderField, linkMulticast);
                        return;
                    }
                    length = Ipv6ExtensionHeaders.LengthOf(header, datagram[offset..]);
                    if (length < 0 || offset + length > datagram.Length)
                    {
                        _counters.Drop(DropReason.Ipv6ExtensionHeaderTruncated);
                        return;
                    }
                    if (!ProcessOptions(datagram, offset, length, header == IpProtocol.Ipv6HopByHop, linkMulticast)) return;
                    break;
                case IpProtocol.Ipv6Routing:
                    length = Ipv6ExtensionHeaders.LengthOf(header, datagram[offset..]);
                    if (length < 0 || offset + length > datagram.Length)
                    {
                        _counters.Drop(DropReason.Ipv6ExtensionHeaderTruncated);
                        return;
                    }
                    // RFC 8200 §4.4: a routing header with no segments left is ignored. With segments left we would
                    // have to route it on, which a host does not; type 0 is deprecated outright (RFC 5095).
                    if (new Ipv6RoutingHeader(datagram[offset..]).SegmentsLeft != 0)
                    {
                        _counters.Drop(DropReason.Ipv6RoutingHeaderRefused);
                        Icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.ErroneousHeaderField,
                            (uint)(offset + 2), linkMulticast);
                        return;
                    }
                    break;
                case IpProtocol.Ipv6Fragment:
                    if (offset + Ipv6FragmentHeader.Length > datagram.Length)
                    {
                        _counters.Drop(DropReason.Ipv6ExtensionHeaderTruncated);
                        return;
                    }
                    var fragment = new Ipv6FragmentHeader(datagram[offset..]);
                    if (!fragment.IsAtomic)
                    {
                        Reassembler.Add(datagram, offset, nextHeaderField, iface, linkMulticast);
                        return;
                    }
                    // RFC 6946: an atomic fragment is a whole packet; it is processed at once, apart from any
                    // reassembly under the same identification.
                    length = Ipv6FragmentHeader.Length;
                    break;
                case IpProtocol.Ipv6NoNextHeader:
                    _counters.Drop(DropReason.Ipv6NoNextHeader);
                    return;
                default:
                    var handler = _protocols[(byte)header];
                    if (handler is null)
                    {
                        _counters.Drop(DropReason.Ipv6UnknownNextHeader);
                        Icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.UnrecognizedNextHeader,
                            (uint)nextHeaderField, linkMulticast);
                        return;
                    }
                    _counters.Ipv6Delivered++;
                    handler.Receive(new Ipv6Delivery(datagram, offset, header, transportChecksumVerified, linkMulticast), iface);
                    return;
            }
            nextHeaderField = offset;
            header = (IpProtocol)datagram[offset];
            offset += length;
        }
    }

    /// <summary>RFC 8200 §4.2: every option is either known (padding, Router Alert in hop-by-hop) or handled as its
    /// type's two high bits say. False when the packet is to be discarded.</summary>
    private bool ProcessOptions(ReadOnlySpan<byte> datagram, int offset, int length, bool hopByHop, bool linkMulticast)
    {
        var reader = new Ipv6OptionReader(datagram.Slice(offset, length));
        while (reader.TryNext(out var option))
        {
            if (option.Type is Ipv6Option.Pad1 or Ipv6Option.PadN || (hopByHop && option.Type == Ipv6Option.RouterAlert)) continue;
            var action = option.UnknownAction;
            if (action == Ipv6UnknownOptionAction.Skip) continue;
            _counters.Drop(DropReason.Ipv6UnknownOption);
            bool toMulticast = new Ipv6Packet(datagram).Destination.IsMulticast;
            if (action == Ipv6UnknownOptionAction.DiscardAndReport ||
                (action == Ipv6UnknownOptionAction.DiscardAndReportUnlessMulticast && !toMulticast))
                Icmp.SendError(datagram, Icmpv6Type.ParameterProblem, (byte)Icmpv6ParameterProblemCode.UnrecognizedOption,
                    (uint)(offset + option.Offset), linkMulticast, allowMulticast: action == Ipv6UnknownOptionAction.DiscardAndReport);
            return false;
        }
        if (reader.IsMalformed)
        {
            _counters.Drop(DropReason.Ipv6ExtensionHeaderTruncated);
            return false;
        }
        return true;
    }

    /// <summary>The interface and next hop for <paramref name="destination"/>: a next hop a Redirect taught (RFC 4861
    /// §8.3) first; then on-link (link-local, multicast, one of our prefixes or an advertised on-link prefix) goes
    /// direct, anything else to a default router.</summary>
    public bool TryRoute(Ipv6Address destination, out NetworkInterface iface, out Ipv6Address nextHop)
    {
        var interfaces = _stack.Interfaces;
        for (int i = 0; i < interfaces.Count; i++)
            if (interfaces[i].Ipv6 is { } ip && ip.Redirects.TryGetNextHop(destination, out nextHop))
            {
                iface = interfaces[i];
                return true;
            }
        for (int i = 0; i < interfaces.Count; i++)
            if (interfaces[i].Ipv6 is { } ip && ip.IsOnLink(destination))
            {
                iface = interfaces[i];
                nextHop = destination;
                return true;
            }
        for (int i = 0; i < interfaces.Count; i++)
            if (interfaces[i].Ipv6 is { } ip && ip.Routers.TryGetDefaultRouter(out var router))
            {
                iface = interfaces[i];
                nextHop = router;
                return true;
            }
        iface = null!;
        nextHop = default;
        return false;
    }

    /// <summary>Route and source address for <paramref name="destination"/>; false when there is no route or no
    /// usable address yet.</summary>
    public bool TryRouteAndSource(Ipv6Address destination, out NetworkInterface iface, out Ipv6Address source)
    {
        source = default;
        return TryRoute(destination, out iface, out _) && iface.Ipv6!.TrySelectSource(destination, out source);
    }

    /// <summary>Largest packet in bytes to send towards <paramref name="destination"/>: the link MTU of its interface,
    /// lowered by what Packet Too Big taught (RFC 8201); 1280 when there is no route.</summary>
    public int MtuFor(Ipv6Address destination) =>
        TryRoute(destination, out var iface, out _) ? PathMtu.Get(destination, iface.Ipv6!.LinkMtu) : Ipv6Packet.MinimumMtu;

    /// <summary>The next fragment Identification (RFC 8200 §4.5): a counter from a random start, drawn on first use
    /// so a stack that never fragments IPv6 draws nothing (IPv4-only runs keep their random sequence).</summary>
    public uint NextIdentification()
    {
        if (!_identificationDrawn)
        {
            _nextIdentification = (uint)_stack.Random.NextUInt64();
            _identificationDrawn = true;
        }
        return _nextIdentification++;
    }

    /// <summary>Sends an upper-layer payload already in <paramref name="payload"/> (ownership passes to IPv6), its
    /// checksum already written. Fragments to the path MTU unless <paramref name="dontFragment"/>.</summary>
    public SendResult Send(PacketBuffer payload, Ipv6Address source, Ipv6Address destination, IpProtocol protocol,
        byte? hopLimit = null, bool dontFragment = false)
    {
        if (!TryRoute(destination, out var iface, out var nextHop))
        {
            _counters.Drop(DropReason.Ipv6NoRoute);
            payload.Dispose();
            return SendResult.NoRoute;
        }
        var ip = iface.Ipv6!;
        int mtu = PathMtu.Get(destination, ip.LinkMtu);
        var header = new Ipv6Header(source, destination, protocol, payload.Length, hopLimit ?? ip.HopLimit);
        if (Ipv6Packet.HeaderLength + payload.Length <= mtu)
        {
            Ipv6Packet.WriteHeader(payload.Prepend(Ipv6Packet.HeaderLength), header);
            iface.SendIpv6(payload, nextHop, source);
            return SendResult.Sent;
        }
        if (dontFragment || payload.Length + Ipv6FragmentHeader.Length > Ipv6Packet.MaxPayloadLength)
        {
            _counters.Drop(DropReason.Ipv6PacketTooBig);
            payload.Dispose();
            return SendResult.TooBig;
        }
        // RFC 8200 §4.5: the fixed header is the unfragmentable part; each fragment carries a multiple of 8 bytes
        // but the last.
        int chunk = (mtu - Ipv6Packet.HeaderLength - Ipv6FragmentHeader.Length) & ~7;
        uint id = NextIdentification();
        var data = payload.Span;
        for (int at = 0; at < data.Length; at += chunk)
        {
            int length = Math.Min(chunk, data.Length - at);
            var fragment = _stack.Buffers.Rent(Ipv6FragmentHeader.Length + length);
            Ipv6FragmentHeader.Write(fragment.Append(Ipv6FragmentHeader.Length), protocol, at, at + length < data.Length, id);
            data.Slice(at, length).CopyTo(fragment.Append(length));
            Ipv6Packet.WriteHeader(fragment.Prepend(Ipv6Packet.HeaderLength), header with
            {
                NextHeader = IpProtocol.Ipv6Fragment,
                PayloadLength = Ipv6FragmentHeader.Length + length,
            });
            _counters.Ipv6FragmentsSent++;
            iface.SendIpv6(fragment, nextHop, source);
        }
        payload.Dispose();
        return SendResult.Sent;
    }

    /// <summary>Sends a link-scope packet (Neighbor Discovery, MLD) out of <paramref name="iface"/>: to
    /// <paramref name="mac"/> when given, else through neighbour resolution. With <paramref name="routerAlert"/> a
    /// hop-by-hop header with a Router Alert goes first (RFC 3810 §5).</summary>
    internal void SendOnLink(PacketBuffer payload, Ipv6Address source, Ipv6Address destination, IpProtocol protocol,
        NetworkInterface iface, byte hopLimit, MacAddress? mac, bool routerAlert = false)
    {
        var next = protocol;
        if (routerAlert)
        {
            var hbh = payload.Prepend(RouterAlertHeaderLength);
            hbh[0] = (byte)protocol;
            hbh[1] = 0;
            hbh[2] = Ipv6Option.RouterAlert;
            hbh[3] = 2;
            hbh[4] = 0;
            hbh[5] = 0;
            hbh[6] = Ipv6Option.PadN;
            hbh[7] = 0;
            next = IpProtocol.Ipv6HopByHop;
        }
        Ipv6Packet.WriteHeader(payload.Prepend(Ipv6Packet.HeaderLength),
            new Ipv6Header(source, destination, next, payload.Length - Ipv6Packet.HeaderLength, hopLimit));
        if (mac is { } m) iface.Ethernet.Send(payload, m, EtherType.Ipv6);
        else iface.Ipv6!.Neighbors.SendWhenResolved(payload, destination, source);
    }
}
