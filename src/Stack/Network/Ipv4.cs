using Netstack.Buffers;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>What became of a datagram handed to <see cref="Ipv4.Send"/>.</summary>
public enum SendResult
{
    /// <summary>Transmitted on a link (all fragments, if fragmented).</summary>
    Sent,
    /// <summary>Queued behind address resolution; it may still fail later (reported as an ICMP error).</summary>
    Queued,
    /// <summary>Not sent: no route to the destination.</summary>
    NoRoute,
    /// <summary>Larger than the MTU with Don't Fragment set, or larger than 65535.</summary>
    TooBig,
}

/// <summary>IPv4 (RFC 791, RFC 1122 §3.2.1): validation, local delivery, reassembly, routing,
/// fragmentation and, when enabled, forwarding.</summary>
public sealed class Ipv4
{
    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly IIpProtocol?[] _protocols = new IIpProtocol?[256];
    private ushort _nextIdentification;

    internal Ipv4(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
        Reassembler = new FragmentReassembler(stack);
        _nextIdentification = (ushort)stack.Random.NextUInt64();
    }

    /// <summary>The routing table; on-link routes are added with each interface.</summary>
    public RoutingTable Routes { get; } = new();
    /// <summary>Reassembly of fragmented datagrams addressed to us.</summary>
    public FragmentReassembler Reassembler { get; }
    private Ipv4Options Options => _stack.Options.Ipv4;

    /// <summary>Makes <paramref name="handler"/> receive datagrams and ICMP errors for <paramref name="protocol"/>,
    /// replacing any earlier handler.</summary>
    public void Register(IpProtocol protocol, IIpProtocol handler) => _protocols[(byte)protocol] = handler;
    internal IIpProtocol? Handler(IpProtocol protocol) => _protocols[(byte)protocol];

    /// <param name="transportChecksumVerified">The device vouches for the TCP/UDP checksum; carried on the
    /// packet to the transport. A datagram reassembled from fragments never carries it.</param>
    /// <summary>Handles one received datagram: validates it, reassembles fragments, delivers it to its protocol, or
    /// forwards it when enabled. Anything malformed or not for us is dropped and counted
    /// (<see cref="DropReason"/>).</summary>
    /// <param name="bytes">The Ethernet payload, starting at the IPv4 header; may include link padding.</param>
    /// <param name="iface">The interface it arrived on.</param>
    public void Receive(ReadOnlySpan<byte> bytes, NetworkInterface iface, bool transportChecksumVerified = false)
    {
        var packet = new Ipv4Packet(bytes);
        var malformation = packet.Validate();
        if (malformation != Ipv4Malformation.None)
        {
            _counters.Drop(DropReasonFor(malformation));
            return;
        }
        // Ethernet may have padded the frame: the datagram is what Total Length says.
        packet = new Ipv4Packet(bytes[..packet.TotalLength], transportChecksumVerified);

        if (!IsLocal(packet.Destination, iface))
        {
            if (Options.Forwarding && !packet.Destination.IsBroadcast && !packet.Destination.IsMulticast)
                Forward(packet);
            else
                _counters.Drop(DropReason.Ipv4NotForUs);
            return;
        }
        if (IsInvalidSource(packet.Source))
        {
            _counters.Drop(DropReason.Ipv4InvalidSource);
            return;
        }
        if (packet.IsFragment)
        {
            Reassembler.Add(packet, iface);
            return;
        }
        DeliverLocal(packet, iface);
    }

    /// <summary>RFC 1122 §3.2.1.3: a host silently discards a datagram whose source no host can have, so nothing
    /// answers it (echo replies, ICMP errors or SYN-ACKs to a broadcast, smurf- and land-style). Invalid: this network
    /// (0/8), loopback (127/8) from a wire, multicast and class E (with the limited broadcast), our
    /// interfaces' directed broadcasts and our own addresses (a land attack: we did not send it).</summary>
    private bool IsInvalidSource(Ipv4Address source)
    {
        uint firstOctet = source.Value >> 24;
        if (firstOctet is 0 or 127 || firstOctet >= 224) return true; // 0/8, 127/8, multicast, class E
        var own = _ownAddresses; // a flat array: this runs for every datagram
        for (int i = 0; i < own.Length; i++)
            if (own[i] == source) return true;
        return false;
    }

    /// <summary>Our addresses and directed broadcasts, which no datagram from the wire may carry as its source.</summary>
    private Ipv4Address[] _ownAddresses = [];

    internal void AddOwnAddresses(NetworkInterface iface)
    {
        var own = new List<Ipv4Address>(_ownAddresses) { iface.Address.Address };
        if (iface.Address.PrefixLength < 31) own.Add(iface.Address.DirectedBroadcast);
        _ownAddresses = own.ToArray();
    }

    /// <summary>The drop counter for each way a header can be malformed. Every value is named, so a new
    /// malformation cannot be silently counted as another (a test walks the enum).</summary>
    public static DropReason DropReasonFor(Ipv4Malformation malformation) => malformation switch
    {
        Ipv4Malformation.Truncated => DropReason.Ipv4Truncated,
        Ipv4Malformation.BadVersion => DropReason.Ipv4BadVersion,
        Ipv4Malformation.BadHeaderLength => DropReason.Ipv4BadHeaderLength,
        Ipv4Malformation.BadTotalLength => DropReason.Ipv4BadTotalLength,
        Ipv4Malformation.TotalLengthBeyondFrame => DropReason.Ipv4TotalLengthBeyondFrame,
        Ipv4Malformation.BadChecksum => DropReason.Ipv4BadChecksum,
        Ipv4Malformation.FragmentTooLarge => DropReason.Ipv4FragmentTooLarge,
        _ => throw new ArgumentOutOfRangeException(nameof(malformation), malformation, "no drop reason for this malformation"),
    };

    private bool IsLocal(Ipv4Address destination, NetworkInterface arrivedOn)
    {
        if (arrivedOn.Accepts(destination)) return true;
        // Indexed: foreach over the IReadOnlyList would box an enumerator for every forwarded datagram.
        var interfaces = _stack.Interfaces;
        for (int i = 0; i < interfaces.Count; i++)
            if (interfaces[i].Address.Address == destination) return true;
        return false;
    }

    internal void DeliverLocal(Ipv4Packet packet, NetworkInterface iface)
    {
        var handler = _protocols[(byte)packet.Protocol];
        if (handler is null)
        {
            _counters.Drop(DropReason.Ipv4UnknownProtocol);
            _stack.Icmp.SendError(packet, IcmpType.DestinationUnreachable, (byte)UnreachableCode.Protocol);
            return;
        }
        _counters.Ipv4Delivered++;
        handler.Receive(packet, iface);
    }

    /// <summary>The route and source address for a destination; false when there is no route.</summary>
    public bool TryRoute(Ipv4Address destination, out Route route, out Ipv4Address source)
    {
        var r = Routes.Lookup(destination);
        if (r is null)
        {
            route = null!;
            source = default;
            return false;
        }
        route = r;
        source = r.Interface.Address.Address;
        return true;
    }

    /// <summary>The next IPv4 Identification value; starts at a random value and counts up (wrapping at
    /// 65535).</summary>
    public ushort NextIdentification() => _nextIdentification++;

    /// <summary>Sends a transport payload already in <paramref name="payload"/> (ownership passes to IPv4).
    /// Fragments when it exceeds the MTU unless <paramref name="dontFragment"/>. With
    /// <paramref name="dontFragmentIfItFits"/> (Linux's IP_PMTUDISC_WANT, its default for UDP) a datagram that fits
    /// the MTU carries DF, so a smaller MTU further on is reported back (RFC 1191), and a larger one is fragmented
    /// here, its fragments without DF.</summary>
    public SendResult Send(PacketBuffer payload, Ipv4Address source, Ipv4Address destination, IpProtocol protocol,
        bool dontFragment = false, byte? timeToLive = null, byte typeOfService = 0, bool dontFragmentIfItFits = false)
    {
        if (!TryRoute(destination, out var route, out _))
        {
            _counters.Drop(DropReason.Ipv4NoRoute);
            payload.Dispose();
            return SendResult.NoRoute;
        }
        if (dontFragmentIfItFits && Ipv4Packet.MinHeaderLength + payload.Length <= route.Interface.Mtu) dontFragment = true;
        var header = new Ipv4Header(source, destination, protocol, Ipv4Packet.MinHeaderLength + payload.Length,
            NextIdentification(), timeToLive ?? Options.DefaultTimeToLive, dontFragment, TypeOfService: typeOfService);
        return Output(payload, header, route);
    }

    /// <summary>Puts a datagram (header given, payload in the buffer) on the wire, fragmenting if needed.</summary>
    private SendResult Output(PacketBuffer payload, in Ipv4Header header, Route route)
    {
        var iface = route.Interface;
        var nextHop = route.Gateway ?? header.Destination;
        int total = Ipv4Packet.MinHeaderLength + payload.Length;
        if (total <= iface.Mtu)
        {
            Ipv4Packet.WriteHeader(payload.Prepend(Ipv4Packet.MinHeaderLength), header with { TotalLength = total });
            iface.SendIpv4(payload, nextHop);
            return SendResult.Sent;
        }
        if (header.DontFragment || total > Ipv4Packet.MaxTotalLength)
        {
            _counters.Drop(DropReason.Ipv4DontFragmentTooBig);
            payload.Dispose();
            return SendResult.TooBig;
        }
        int chunk = (iface.Mtu - Ipv4Packet.MinHeaderLength) & ~7;
        var data = payload.Span;
        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            int length = Math.Min(chunk, data.Length - offset);
            var fragment = _stack.Buffers.Rent(length);
            data.Slice(offset, length).CopyTo(fragment.Append(length));
            Ipv4Packet.WriteHeader(fragment.Prepend(Ipv4Packet.MinHeaderLength), header with
            {
                TotalLength = Ipv4Packet.MinHeaderLength + length,
                FragmentOffset = header.FragmentOffset + offset,
                MoreFragments = header.MoreFragments || offset + length < data.Length,
            });
            _counters.FragmentsSent++;
            iface.SendIpv4(fragment, nextHop);
        }
        payload.Dispose();
        return SendResult.Sent;
    }

    private void Forward(Ipv4Packet packet)
    {
        if (packet.TimeToLive <= 1)
        {
            _counters.Drop(DropReason.Ipv4TtlExpired);
            _stack.Icmp.SendError(packet, IcmpType.TimeExceeded, 0);
            return;
        }
        var route = Routes.Lookup(packet.Destination);
        if (route is null)
        {
            _counters.Drop(DropReason.Ipv4NoRoute);
            _stack.Icmp.SendError(packet, IcmpType.DestinationUnreachable, (byte)UnreachableCode.Network);
            return;
        }
        if (packet.TotalLength > route.Interface.Mtu && packet.DontFragment)
        {
            _counters.Drop(DropReason.Ipv4DontFragmentTooBig);
            _stack.Icmp.SendError(packet, IcmpType.DestinationUnreachable, (byte)UnreachableCode.FragmentationNeeded,
                (ushort)route.Interface.Mtu);
            return;
        }
        // Options are not carried across when a forwarded datagram is re-fragmented; the header is rebuilt.
        var payload = _stack.Buffers.Rent(packet.Payload.Length);
        payload.Append(packet.Payload);
        var header = new Ipv4Header(packet.Source, packet.Destination, packet.Protocol, packet.TotalLength,
            packet.Identification, (byte)(packet.TimeToLive - 1), packet.DontFragment, packet.MoreFragments,
            packet.FragmentOffset, packet.TypeOfService);
        Output(payload, header, route);
    }
}
