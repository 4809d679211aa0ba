using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Wire;

namespace Netstack.Transport;

/// <summary>UDP (RFC 768): demultiplexes datagrams to bound sockets, answers closed ports with ICMP
/// port unreachable, and hands ICMP errors to the socket that sent the offending datagram.</summary>
public sealed partial class Udp : IIpProtocol
{
    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly Dictionary<ushort, UdpEndpoint> _sockets = new();

    internal Udp(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
    }

    /// <summary>Binds <paramref name="port"/> (0 picks an ephemeral one) with a queue of <paramref name="receiveQueueLimit"/> datagrams. Throws SocketException (AddressAlreadyInUse) when the port is taken or none is free.</summary>
    public UdpEndpoint Bind(ushort port = 0, int receiveQueueLimit = 64)
    {
        if (port == 0) port = EphemeralPorts.Pick(_stack.Random, p => _sockets.ContainsKey(p));
        else if (_sockets.ContainsKey(port))
            throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
        var socket = new UdpEndpoint(this, port, receiveQueueLimit);
        _sockets.Add(port, socket);
        return socket;
    }

    internal void Unbind(UdpEndpoint socket) => _sockets.Remove(socket.LocalPort);

    /// <summary>Validates one datagram (length, checksum) and queues it on the bound socket; a closed port gets ICMP port unreachable (RFC 1122 §4.1.3.1). Bad input is dropped and counted.</summary>
    public void Receive(Ipv4Packet packet, NetworkInterface iface)
    {
        var datagram = new UdpDatagram(packet.Payload);
        if (!datagram.IsWellFormed)
        {
            _counters.Drop(DropReason.UdpMalformed);
            return;
        }
        if (!packet.TransportChecksumVerified && !datagram.IsChecksumValid(packet.Source, packet.Destination))
        {
            _counters.Drop(DropReason.UdpBadChecksum);
            return;
        }
        if (!Deliver(datagram, packet.Source, packet.Destination))
            _stack.Icmp.SendError(packet, IcmpType.DestinationUnreachable, (byte)UnreachableCode.Port);
    }

    /// <summary>Queues a validated datagram of either family on the socket bound to its port; false when no socket
    /// is (the caller answers with its family's port unreachable). A full queue drops it, counted.</summary>
    private bool Deliver(in UdpDatagram datagram, IpAddress source, IpAddress destination)
    {
        if (!_sockets.TryGetValue(datagram.DestinationPort, out var socket))
        {
            _counters.Drop(DropReason.UdpNoListener);
            return false;
        }
        if (!socket.Enqueue(source, datagram.SourcePort, destination, datagram.Payload))
            _counters.Drop(DropReason.UdpReceiveQueueFull);
        return true;
    }

    /// <summary>Queues an ICMP error on the socket whose datagram caused it (RFC 1122 §4.1.3.3).</summary>
    public void ReceiveError(in IcmpErrorReport error)
    {
        if (!TryFindSender(error.OriginalTransport, out var socket, out ushort destinationPort))
            _counters.Drop(DropReason.IcmpErrorNoSocket);
        else if (!socket.ReportError(error, destinationPort))
            _counters.Drop(DropReason.UdpErrorQueueFull);
    }

    /// <summary>The socket that sent the datagram an ICMP error of either family quotes (bound to its source port),
    /// and the port it was sent to; false when no socket is bound there.</summary>
    private bool TryFindSender(ReadOnlySpan<byte> quoted, out UdpEndpoint socket, out ushort destinationPort)
    {
        var original = new UdpDatagram(quoted);
        destinationPort = original.DestinationPort;
        return _sockets.TryGetValue(original.SourcePort, out socket!);
    }

    internal SendResult Send(ushort sourcePort, IpAddress destination, ushort destinationPort, ReadOnlySpan<byte> payload) =>
        destination.IsIpv4 ? Send(sourcePort, destination.Ipv4, destinationPort, payload)
            : SendIpv6(sourcePort, destination.Ipv6, destinationPort, payload);

    private SendResult Send(ushort sourcePort, Ipv4Address destination, ushort destinationPort, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > Ipv4Packet.MaxTotalLength - Ipv4Packet.MinHeaderLength - UdpDatagram.HeaderLength)
            return SendResult.TooBig;
        if (!_stack.Ipv4.TryRoute(destination, out _, out var source))
        {
            _counters.Drop(DropReason.Ipv4NoRoute);
            return SendResult.NoRoute;
        }
        var buffer = Build(sourcePort, source, destination, destinationPort, payload);
        // DF when the datagram fits the MTU, fragments without DF otherwise: what Linux does by default
        // (IP_PMTUDISC_WANT, ip(7)).
        return _stack.Ipv4.Send(buffer, source, destination, IpProtocol.Udp, dontFragmentIfItFits: true);
    }

    /// <summary>A datagram of either family carrying <paramref name="payload"/>, in a buffer rented for it.</summary>
    private Buffers.PacketBuffer Build(ushort sourcePort, IpAddress source, IpAddress destination, ushort destinationPort,
        ReadOnlySpan<byte> payload)
    {
        var buffer = _stack.Buffers.Rent(UdpDatagram.HeaderLength + payload.Length);
        var datagram = buffer.Append(UdpDatagram.HeaderLength + payload.Length);
        payload.CopyTo(datagram[UdpDatagram.HeaderLength..]);
        UdpDatagram.WriteHeader(datagram, sourcePort, destinationPort, source, destination);
        return buffer;
    }
}
