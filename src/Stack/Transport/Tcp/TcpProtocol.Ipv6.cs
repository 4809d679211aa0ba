using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network.Ipv6;
using Netstack.Wire;

namespace Netstack.Transport.Tcp;

/// <summary>TCP over IPv6: the same connections and listeners as IPv4 (a listener takes both families, as Linux's
/// default dual-stack sockets do), segments checksummed over the IPv6 pseudo-header, the MSS from the IPv6 path MTU
/// less 60 bytes, ICMPv6 errors and Packet Too Big delivered to the connection they quote.</summary>
public sealed partial class TcpProtocol : IIpv6Protocol
{
    /// <summary>Validates one segment over IPv6 and delivers it like an IPv4 one; bad input is dropped and
    /// counted.</summary>
    public void Receive(in Ipv6Delivery delivery, NetworkInterface iface)
    {
        var seg = new TcpSegment(delivery.Payload);
        if (!seg.IsWellFormed)
        {
            _counters.Drop(DropReason.TcpMalformed);
            return;
        }
        IpAddress source = delivery.Source, destination = delivery.Destination;
        if (!delivery.TransportChecksumVerified && !seg.IsChecksumValid(source, destination))
        {
            _counters.Drop(DropReason.TcpBadChecksum);
            return;
        }
        // RFC 1122 §4.2.3.10, as for IPv4: no TCP to or from multicast addresses.
        if (delivery.Destination.IsMulticast || delivery.Source.IsMulticast || delivery.Source.IsUnspecified)
        {
            _counters.Drop(DropReason.TcpNoConnection);
            return;
        }
        Demultiplex(seg, destination, source);
    }

    /// <summary>Delivers an ICMPv6 error to the connection whose segment it quotes.</summary>
    public void ReceiveError(in Icmpv6ErrorReport error)
    {
        var t = error.OriginalTransport;
        if (t.Length < 8)
        {
            _counters.Drop(DropReason.Ipv6IcmpTruncated);
            return;
        }
        if (TryFindQuoted(error.OriginalSource, error.OriginalDestination, t, out var connection, out uint seq))
            connection.OnIcmpv6Error(error, seq, _stack.Ipv6.MtuFor(error.OriginalDestination));
        else
            _counters.Drop(DropReason.Ipv6IcmpErrorNoSocket);
    }

    /// <summary>Our source address for a connection to <paramref name="remote"/>; false when there is no route or
    /// no usable address of its family.</summary>
    private bool TryRouteSource(IpAddress remote, out IpAddress source)
    {
        if (remote.IsIpv4)
        {
            bool routed = _stack.Ipv4.TryRoute(remote.Ipv4, out _, out var v4);
            source = v4;
            return routed;
        }
        bool ok = _stack.Ipv6.TryRouteAndSource(remote.Ipv6, out _, out var v6);
        source = v6;
        return ok;
    }
}
