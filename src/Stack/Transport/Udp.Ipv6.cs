using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Network.Ipv6;
using Netstack.Wire;

namespace Netstack.Transport;

/// <summary>UDP over IPv6 (RFC 8200 §8.1): the same sockets and ports as IPv4, a pseudo-header with 128-bit
/// addresses, and a checksum that may not be zero.</summary>
public sealed partial class Udp : IIpv6Protocol
{
    /// <summary>Validates one datagram over IPv6 and queues it on the bound socket; a closed port gets ICMPv6 port
    /// unreachable (RFC 4443 §3.1). Bad input is dropped and counted.</summary>
    public void Receive(in Ipv6Delivery delivery, NetworkInterface iface)
    {
        var payload = delivery.Payload;
        var datagram = new UdpDatagram(payload);
        if (!datagram.IsWellFormed)
        {
            _counters.Drop(DropReason.UdpMalformed);
            return;
        }
        var source = delivery.Source;
        var destination = delivery.Destination;
        if (datagram.Checksum == 0)
        {
            _counters.Drop(DropReason.Ipv6UdpZeroChecksum);
            return;
        }
        if (!delivery.TransportChecksumVerified && !Checksum.IsValid(Checksum.Accumulate(
                Checksum.PseudoHeader(source, destination, (byte)IpProtocol.Udp, datagram.Length), payload[..datagram.Length])))
        {
            _counters.Drop(DropReason.UdpBadChecksum);
            return;
        }
        if (!Deliver(datagram, source, destination))
            _stack.Ipv6.Icmp.SendError(delivery.Datagram, Icmpv6Type.DestinationUnreachable, (byte)Icmpv6UnreachableCode.Port, 0,
                delivery.LinkMulticast);
    }

    /// <summary>Queues an ICMPv6 error on the socket whose datagram caused it.</summary>
    public void ReceiveError(in Icmpv6ErrorReport error)
    {
        if (!TryFindSender(error.OriginalTransport, out var socket, out ushort destinationPort))
            _counters.Drop(DropReason.Ipv6IcmpErrorNoSocket);
        else if (!socket.ReportError(error, destinationPort))
            _counters.Drop(DropReason.UdpErrorQueueFull);
    }

    private SendResult SendIpv6(ushort sourcePort, Ipv6Address destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Ipv6Packet.MaxPayloadLength - Ipv6FragmentHeader.Length - UdpDatagram.HeaderLength)
            return SendResult.TooBig;
        if (!_stack.Ipv6.TryRouteAndSource(destination, out _, out var source))
        {
            _counters.Drop(DropReason.Ipv6NoRoute);
            return SendResult.NoRoute;
        }
        return _stack.Ipv6.Send(Build(sourcePort, source, destination, destinationPort, payload), source, destination,
            IpProtocol.Udp);
    }
}
