using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network.Ipv6;

/// <summary>ICMPv6 (RFC 4443): answers echo requests, sends errors (rate-limited by a token bucket like ICMPv4's),
/// hands received errors to the protocol whose packet they quote (Packet Too Big lowering the path MTU first,
/// RFC 8201), matches echo replies to pings, and passes Neighbor Discovery and MLD messages to the interface's
/// handlers after RFC 4861's common checks (hop limit 255, code 0).</summary>
public sealed class Icmpv6 : IIpv6Protocol
{
    /// <summary>RFC 4443 §2.4 (c): an error carries as much of the offending packet as fits in the minimum MTU.</summary>
    private const int MaxErrorPacket = Ipv6Packet.MinimumMtu;

    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly IcmpErrorRateLimiter _errorLimiter;

    internal Icmpv6(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
        _errorLimiter = new IcmpErrorRateLimiter(stack.Scheduler, stack.Options.Icmp);
    }

    /// <summary>Receives echo replies and errors about our echo requests (the ping service).</summary>
    internal IEchoV6Client? EchoClient { get; set; }

    /// <summary>Handles one ICMPv6 message for us; malformed or unhandled messages are dropped and counted.</summary>
    public void Receive(in Ipv6Delivery delivery, NetworkInterface iface)
    {
        var icmp = new Icmpv6Packet(delivery.Payload);
        if (!icmp.IsComplete)
        {
            _counters.Drop(DropReason.Ipv6IcmpTruncated);
            return;
        }
        var source = delivery.Source;
        var destination = delivery.Destination;
        // Trusted when the device vouches for the checksum, as for ICMPv4 (see Icmp.Receive).
        if (!delivery.TransportChecksumVerified && !icmp.IsChecksumValid(source, destination))
        {
            _counters.Drop(DropReason.Ipv6IcmpBadChecksum);
            return;
        }
        var ip = iface.Ipv6!;
        switch (icmp.Type)
        {
            case Icmpv6Type.EchoRequest:
                // No answers to multicast echo requests: no amplification (as ICMPv4 ignores broadcast ones).
                if (destination.IsMulticast)
                {
                    _counters.Drop(DropReason.Ipv6IcmpUnhandledType);
                    return;
                }
                SendEchoReply(source, destination, icmp);
                break;
            case Icmpv6Type.EchoReply:
                if (EchoClient is { } client)
                    client.EchoReply(source, icmp.Identifier, icmp.SequenceNumber, delivery.HopLimit, icmp.Data.Length);
                else
                    _counters.Drop(DropReason.Ipv6IcmpUnhandledType);
                break;
            case Icmpv6Type.DestinationUnreachable or Icmpv6Type.PacketTooBig or Icmpv6Type.TimeExceeded or Icmpv6Type.ParameterProblem:
                DispatchError(icmp.Type, icmp.Code, icmp.Pointer, source, icmp.Data);
                break;
            case Icmpv6Type.NeighborSolicitation or Icmpv6Type.NeighborAdvertisement or Icmpv6Type.RouterAdvertisement:
                // RFC 4861 §6.1, §7.1: a hop limit of 255 proves the message was not forwarded from off-link.
                if (delivery.HopLimit != 255 || icmp.Code != 0)
                {
                    _counters.Drop(DropReason.Ipv6NdpInvalid);
                    return;
                }
                if (icmp.Type == Icmpv6Type.NeighborSolicitation) ip.Neighbors.ReceiveSolicitation(source, destination, icmp.Bytes);
                else if (icmp.Type == Icmpv6Type.NeighborAdvertisement) ip.Neighbors.ReceiveAdvertisement(destination, icmp.Bytes);
                else ip.Routers.ReceiveAdvertisement(source, icmp.Bytes);
                break;
            case Icmpv6Type.Redirect:
                // RFC 4861 §8.1: hop limit 255 (not forwarded from off-link) and code 0; the rest is the cache's.
                if (delivery.HopLimit != 255 || icmp.Code != 0)
                {
                    _counters.Drop(DropReason.Ipv6RedirectInvalid);
                    return;
                }
                ip.Redirects.Receive(source, icmp.Bytes);
                break;
            case Icmpv6Type.MulticastListenerQuery:
                if (delivery.HopLimit != 1 || !source.IsLinkLocal)
                {
                    _counters.Drop(DropReason.Ipv6NdpInvalid);
                    return;
                }
                ip.AnswerMldQuery();
                break;
            default:
                // Router Solicitations (hosts discard them, RFC 4861 §6.2.6), other nodes'
                // MLD reports and unknown informational messages (RFC 4443 §2.4 (b)).
                _counters.Drop(DropReason.Ipv6IcmpUnhandledType);
                break;
        }
    }

    void IIpv6Protocol.ReceiveError(in Icmpv6ErrorReport error)
    {
        if (EchoClient is { } client && error.OriginalTransport.Length >= 8 &&
            (Icmpv6Type)error.OriginalTransport[0] == Icmpv6Type.EchoRequest)
            client.EchoError(error);
        else
            _counters.Drop(DropReason.Ipv6IcmpErrorNoSocket);
    }

    /// <summary>Finds the upper-layer header in a packet (skipping extension headers): its protocol and offset;
    /// false when the chain is cut short, or a non-first fragment holds no upper-layer header.</summary>
    internal static bool TryFindUpperLayer(ReadOnlySpan<byte> packet, out IpProtocol protocol, out int offset)
    {
        protocol = (IpProtocol)packet[6];
        offset = Ipv6Packet.HeaderLength;
        while (Ipv6ExtensionHeaders.IsExtensionHeader(protocol))
        {
            int length = Ipv6ExtensionHeaders.LengthOf(protocol, packet[offset..]);
            if (length < 0 || offset + length > packet.Length) return false;
            if (protocol == IpProtocol.Ipv6Fragment && new Ipv6FragmentHeader(packet[offset..]).FragmentOffset != 0) return false;
            protocol = (IpProtocol)packet[offset];
            offset += length;
        }
        return true;
    }

    /// <summary>Delivers an error quoting <paramref name="offending"/> (a packet of ours) to the protocol that sent
    /// it.</summary>
    private void DispatchError(Icmpv6Type type, byte code, uint field, Ipv6Address reporter, ReadOnlySpan<byte> offending)
    {
        if (offending.Length < Ipv6Packet.HeaderLength || new Ipv6Packet(offending).Version != 6 ||
            !TryFindUpperLayer(offending, out var protocol, out int offset) || offending.Length < offset + 8)
        {
            _counters.Drop(DropReason.Ipv6IcmpTruncated);
            return;
        }
        var original = new Ipv6Packet(offending);
        if (type == Icmpv6Type.PacketTooBig &&
            _stack.Ipv6.TryRoute(original.Destination, out var iface, out _))
            _stack.Ipv6.PathMtu.Lower(original.Destination, field, iface.Ipv6!.LinkMtu);
        var handler = _stack.Ipv6.Handler(protocol);
        if (handler is null)
        {
            _counters.Drop(DropReason.Ipv6IcmpErrorNoSocket);
            return;
        }
        handler.ReceiveError(new Icmpv6ErrorReport(type, code, field, reporter, original.Source, original.Destination,
            protocol, offending[offset..]));
    }

    /// <summary>Reports a local failure (neighbour resolution giving up) to the sender of <paramref name="packet"/>
    /// as if the error had arrived from <paramref name="reporter"/>.</summary>
    internal void ReportLocalError(ReadOnlySpan<byte> packet, Icmpv6Type type, byte code, Ipv6Address reporter) =>
        DispatchError(type, code, 0, reporter, packet);

    /// <summary>Sends an ICMPv6 error about a received packet unless RFC 4443 §2.4 (e) forbids it: never about an
    /// error message, nor (save Packet Too Big and Parameter Problem code 2 with <paramref name="allowMulticast"/>)
    /// about a packet to a multicast address or link-layer multicast, nor to an unspecified or multicast source; and
    /// not beyond the rate limit (§2.4 (f)).</summary>
    /// <param name="offending">The packet, from its fixed header on.</param>
    /// <param name="type">Error type.</param>
    /// <param name="code">Error code.</param>
    /// <param name="field">MTU of Packet Too Big, pointer of Parameter Problem, else 0.</param>
    /// <param name="linkMulticast">The packet arrived in a link-layer multicast or broadcast frame.</param>
    /// <param name="allowMulticast">The exception of §2.4 (e.3) applies.</param>
    public void SendError(ReadOnlySpan<byte> offending, Icmpv6Type type, byte code, uint field, bool linkMulticast,
        bool allowMulticast = false)
    {
        var original = new Ipv6Packet(offending);
        var source = original.Source;
        var destination = original.Destination;
        if (source.IsUnspecified || source.IsMulticast) return;
        bool exempt = type == Icmpv6Type.PacketTooBig || allowMulticast;
        if ((destination.IsMulticast || linkMulticast) && !exempt) return;
        if (TryFindUpperLayer(offending, out var protocol, out int offset) && protocol == IpProtocol.Icmpv6 &&
            offending.Length > offset && offending[offset] < 128)
            return;
        if (!_stack.Ipv6.TryRoute(source, out var iface, out _)) return;
        Ipv6Address ourAddress;
        if (!destination.IsMulticast && iface.Ipv6!.HasUsableAddress(destination)) ourAddress = destination;
        else if (!iface.Ipv6!.TrySelectSource(source, out ourAddress)) return;
        if (!_errorLimiter.TryTake())
        {
            _counters.Icmpv6ErrorsRateLimited++;
            return;
        }
        int quoted = Math.Min(offending.Length, MaxErrorPacket - Ipv6Packet.HeaderLength - Icmpv6Packet.HeaderLength);
        var buffer = _stack.Buffers.Rent(Icmpv6Packet.HeaderLength + quoted);
        var message = buffer.Append(Icmpv6Packet.HeaderLength + quoted);
        offending[..quoted].CopyTo(message[Icmpv6Packet.HeaderLength..]);
        Icmpv6Packet.WriteHeaderAndChecksum(message, type, code, field, ourAddress, source);
        _counters.Icmpv6ErrorsSent++;
        _stack.Ipv6.Send(buffer, ourAddress, source, IpProtocol.Icmpv6);
    }

    private void SendEchoReply(Ipv6Address requester, Ipv6Address us, Icmpv6Packet request)
    {
        var data = request.Data;
        var buffer = _stack.Buffers.Rent(Icmpv6Packet.HeaderLength + data.Length);
        var message = buffer.Append(Icmpv6Packet.HeaderLength + data.Length);
        data.CopyTo(message[Icmpv6Packet.HeaderLength..]);
        Icmpv6Packet.WriteHeaderAndChecksum(message, Icmpv6Type.EchoReply, 0,
            Icmpv6Packet.EchoField(request.Identifier, request.SequenceNumber), us, requester);
        _counters.Icmpv6EchoRepliesSent++;
        _stack.Ipv6.Send(buffer, us, requester, IpProtocol.Icmpv6);
    }

    /// <summary>Sends an echo request with <paramref name="dataLength"/> bytes of patterned data (fragmented when it
    /// exceeds the path MTU).</summary>
    public SendResult SendEchoRequest(Ipv6Address destination, ushort identifier, ushort sequence, int dataLength,
        byte? hopLimit = null) => SendEchoRequest(destination, identifier, sequence, dataLength, default, hopLimit);

    /// <summary>Sends one echo request carrying exactly <paramref name="data"/> (fragmented when it exceeds the path
    /// MTU): a capture replay repeats a captured request byte for byte.</summary>
    public SendResult SendEchoRequest(Ipv6Address destination, ushort identifier, ushort sequence, ReadOnlySpan<byte> data,
        byte? hopLimit = null) => SendEchoRequest(destination, identifier, sequence, data.Length, data, hopLimit);

    /// <summary>The data is <paramref name="data"/> when given, else <see cref="EchoData"/>'s pattern.</summary>
    private SendResult SendEchoRequest(Ipv6Address destination, ushort identifier, ushort sequence, int dataLength,
        ReadOnlySpan<byte> data, byte? hopLimit)
    {
        if (dataLength > Ipv6Packet.MaxPayloadLength - Icmpv6Packet.HeaderLength - Ipv6FragmentHeader.Length) return SendResult.TooBig;
        if (!_stack.Ipv6.TryRouteAndSource(destination, out _, out var source)) return SendResult.NoRoute;
        var buffer = _stack.Buffers.Rent(Icmpv6Packet.HeaderLength + dataLength);
        var message = buffer.Append(Icmpv6Packet.HeaderLength + dataLength);
        EchoData.Write(message[Icmpv6Packet.HeaderLength..], data);
        Icmpv6Packet.WriteHeaderAndChecksum(message, Icmpv6Type.EchoRequest, 0, Icmpv6Packet.EchoField(identifier, sequence),
            source, destination);
        return _stack.Ipv6.Send(buffer, source, destination, IpProtocol.Icmpv6, hopLimit);
    }
}

/// <summary>Who gets ICMPv6 echo replies (the ping service).</summary>
internal interface IEchoV6Client
{
    void EchoReply(Ipv6Address from, ushort identifier, ushort sequence, byte hopLimit, int dataLength);
    void EchoError(in Icmpv6ErrorReport error);
}
