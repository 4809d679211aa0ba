using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Wire;

namespace Netstack.Network;

/// <summary>ICMPv4 (RFC 792, RFC 1122 §3.2.2): answers echo requests, sends errors about datagrams we
/// cannot deliver, hands received errors to the protocol they concern, and matches echo replies to pings.</summary>
public sealed class Icmp : IIpProtocol
{
    /// <summary>RFC 1812 §4.3.2.3: an error carries as much of the original as fits in 576 bytes.</summary>
    private const int MaxErrorDatagram = 576;

    private readonly NetworkStack _stack;
    private readonly StackCounters _counters;
    private readonly IcmpErrorRateLimiter _errorLimiter;

    internal Icmp(NetworkStack stack)
    {
        _stack = stack;
        _counters = stack.Counters;
        _errorLimiter = new IcmpErrorRateLimiter(stack.Scheduler, stack.Options.Icmp);
    }

    /// <summary>Receives echo replies and errors about our echo requests (set by the ping service).</summary>
    internal IEchoClient? EchoClient { get; set; }

    /// <summary>Handles one ICMP message for us: answers echo requests (not to broadcast), completes pings, and
    /// dispatches errors to the protocol that sent the offending datagram. Malformed or unhandled messages are dropped
    /// and counted.</summary>
    public void Receive(Ipv4Packet packet, NetworkInterface iface)
    {
        var bytes = packet.Payload;
        var icmp = new IcmpPacket(bytes);
        if (!icmp.IsComplete)
        {
            _counters.Drop(DropReason.IcmpTruncated);
            return;
        }
        // A device that vouches for the checksum is trusted for ICMP too, as Linux's icmp_rcv trusts
        // CHECKSUM_UNNECESSARY (its loopback and veth): the echo flood sums each message once, not twice.
        if (!packet.TransportChecksumVerified && !icmp.IsChecksumValid)
        {
            _counters.Drop(DropReason.IcmpBadChecksum);
            return;
        }
        switch (icmp.Type)
        {
            case IcmpType.EchoRequest:
                // Like Linux's icmp_echo_ignore_broadcasts=1: no smurf amplification.
                if (iface.IsBroadcast(packet.Destination))
                {
                    _counters.Drop(DropReason.IcmpUnhandledType);
                    return;
                }
                SendEchoReply(packet, icmp);
                break;
            case IcmpType.EchoReply:
                if (EchoClient is { } client)
                    client.EchoReply(packet.Source, icmp.Identifier, icmp.SequenceNumber, packet.TimeToLive, icmp.Data.Length);
                else
                    _counters.Drop(DropReason.IcmpUnhandledType);
                break;
            case IcmpType.DestinationUnreachable or IcmpType.TimeExceeded or IcmpType.ParameterProblem or IcmpType.SourceQuench:
                DispatchError(icmp.Type, icmp.Code, icmp.NextHopMtu, packet.Source, icmp.Data);
                break;
            default:
                _counters.Drop(DropReason.IcmpUnhandledType);
                break;
        }
    }

    void IIpProtocol.ReceiveError(in IcmpErrorReport error)
    {
        // An error about one of our own ICMP messages: only echo requests have an owner to tell.
        if (EchoClient is { } client && error.OriginalTransport.Length >= 8 &&
            (IcmpType)error.OriginalTransport[0] == IcmpType.EchoRequest)
            client.EchoError(error);
        else
            _counters.Drop(DropReason.IcmpErrorNoSocket);
    }

    /// <summary>Delivers an error about <paramref name="offending"/> (an IP header + at least 8 bytes)
    /// to the protocol that sent it.</summary>
    private void DispatchError(IcmpType type, byte code, ushort nextHopMtu, Ipv4Address reporter, ReadOnlySpan<byte> offending)
    {
        if (offending.Length < Ipv4Packet.MinHeaderLength)
        {
            _counters.Drop(DropReason.IcmpTruncated);
            return;
        }
        var original = new Ipv4Packet(offending);
        int ihl = original.HeaderLength;
        if (original.Version != 4 || ihl < Ipv4Packet.MinHeaderLength || offending.Length < ihl + 8)
        {
            _counters.Drop(DropReason.IcmpTruncated);
            return;
        }
        var handler = _stack.Ipv4.Handler(original.Protocol);
        if (handler is null)
        {
            _counters.Drop(DropReason.IcmpErrorNoSocket);
            return;
        }
        handler.ReceiveError(new IcmpErrorReport(type, code, nextHopMtu, reporter, original.Source,
            original.Destination, original.Protocol, offending[ihl..]));
    }

    /// <summary>Reports a local failure (such as ARP giving up) to the sender of <paramref name="datagram"/>,
    /// as if an ICMP error had arrived from <paramref name="reporter"/>.</summary>
    internal void ReportLocalError(ReadOnlySpan<byte> datagram, IcmpType type, byte code, Ipv4Address reporter) =>
        DispatchError(type, code, 0, reporter, datagram);

    /// <summary>Sends an ICMP error about a received datagram, unless RFC 1122 §3.2.2 forbids it: never
    /// about an ICMP error, a broadcast or multicast, a non-initial fragment, or a non-unicast source; and
    /// not beyond the rate limit (<see cref="IcmpOptions"/>).</summary>
    public void SendError(Ipv4Packet offending, IcmpType type, byte code, ushort nextHopMtu = 0)
    {
        if (offending.FragmentOffset != 0) return;
        SendErrorAboutHeader(offending.Bytes[..Math.Min(offending.TotalLength, offending.Bytes.Length)], type, code, nextHopMtu);
    }

    internal void SendErrorAboutHeader(ReadOnlySpan<byte> offending, IcmpType type, byte code, ushort nextHopMtu = 0)
    {
        var original = new Ipv4Packet(offending);
        var source = original.Source;
        var destination = original.Destination;
        if (source.IsUnspecified || source.IsBroadcast || source.IsMulticast || destination.IsBroadcast || destination.IsMulticast)
            return;
        // Indexed: foreach over the IReadOnlyList would box an enumerator for every error sent.
        var interfaces = _stack.Interfaces;
        for (int i = 0; i < interfaces.Count; i++)
            if (interfaces[i].IsBroadcast(destination) || interfaces[i].IsBroadcast(source)) return;
        if (original.Protocol == IpProtocol.Icmp && offending.Length > original.HeaderLength)
        {
            var inner = (IcmpType)offending[original.HeaderLength];
            if (inner is not (IcmpType.EchoRequest or IcmpType.EchoReply)) return;
        }
        if (!_stack.Ipv4.TryRoute(source, out _, out var ourAddress)) return;
        if (!_errorLimiter.TryTake())
        {
            _counters.IcmpErrorsRateLimited++;
            return;
        }

        int quoted = Math.Min(offending.Length, MaxErrorDatagram - Ipv4Packet.MinHeaderLength - IcmpPacket.HeaderLength);
        var buffer = _stack.Buffers.Rent(IcmpPacket.HeaderLength + quoted);
        var message = buffer.Append(IcmpPacket.HeaderLength + quoted);
        offending[..quoted].CopyTo(message[IcmpPacket.HeaderLength..]);
        IcmpPacket.WriteHeaderAndChecksum(message, type, code, 0, nextHopMtu);
        _counters.IcmpErrorsSent++;
        _stack.Ipv4.Send(buffer, ourAddress, source, IpProtocol.Icmp);
    }

    private void SendEchoReply(Ipv4Packet request, IcmpPacket echo)
    {
        var data = echo.Data;
        var buffer = _stack.Buffers.Rent(IcmpPacket.HeaderLength + data.Length);
        var message = buffer.Append(IcmpPacket.HeaderLength + data.Length);
        data.CopyTo(message[IcmpPacket.HeaderLength..]);
        IcmpPacket.WriteHeaderAndChecksum(message, IcmpType.EchoReply, 0, echo.Identifier, echo.SequenceNumber);
        _counters.IcmpEchoRepliesSent++;
        _stack.Ipv4.Send(buffer, request.Destination, request.Source, IpProtocol.Icmp);
    }

    /// <summary>Sends an echo request with <paramref name="dataLength"/> bytes of patterned data.</summary>
    public SendResult SendEchoRequest(Ipv4Address destination, ushort identifier, ushort sequence, int dataLength,
        byte? timeToLive = null, bool dontFragment = false) =>
        SendEchoRequest(destination, identifier, sequence, dataLength, default, timeToLive, dontFragment);

    /// <summary>Sends one echo request carrying exactly <paramref name="data"/>: a capture replay repeats a
    /// captured ping (its identifier, sequence and payload) on behalf of the endpoint it takes over.</summary>
    public SendResult SendEchoRequest(Ipv4Address destination, ushort identifier, ushort sequence, ReadOnlySpan<byte> data,
        byte? timeToLive = null, bool dontFragment = false) =>
        SendEchoRequest(destination, identifier, sequence, data.Length, data, timeToLive, dontFragment);

    /// <summary>The data is <paramref name="data"/> when given, else <see cref="EchoData"/>'s pattern.</summary>
    private SendResult SendEchoRequest(Ipv4Address destination, ushort identifier, ushort sequence, int dataLength,
        ReadOnlySpan<byte> data, byte? timeToLive, bool dontFragment)
    {
        if (!_stack.Ipv4.TryRoute(destination, out _, out var source)) return SendResult.NoRoute;
        var buffer = _stack.Buffers.Rent(IcmpPacket.HeaderLength + dataLength);
        var message = buffer.Append(IcmpPacket.HeaderLength + dataLength);
        EchoData.Write(message[IcmpPacket.HeaderLength..], data);
        IcmpPacket.WriteHeaderAndChecksum(message, IcmpType.EchoRequest, 0, identifier, sequence);
        return _stack.Ipv4.Send(buffer, source, destination, IpProtocol.Icmp, dontFragment, timeToLive);
    }
}

/// <summary>Who gets echo replies (the ping service).</summary>
internal interface IEchoClient
{
    void EchoReply(Ipv4Address from, ushort identifier, ushort sequence, byte timeToLive, int dataLength);
    void EchoError(in IcmpErrorReport error);
}
