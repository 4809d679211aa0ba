using System.Net.Sockets;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Api;

/// <summary>How one echo request ended.</summary>
public enum PingStatus
{
    /// <summary>An echo reply came back.</summary>
    Success,
    /// <summary>Neither reply nor ICMP error arrived within the timeout.</summary>
    TimedOut,
    /// <summary>An ICMP Destination Unreachable came back; <see cref="PingResult.IcmpCode"/> says which kind.</summary>
    DestinationUnreachable,
    /// <summary>An ICMP Time Exceeded came back: the TTL ran out on the way.</summary>
    TimeExceeded,
    /// <summary>The request was never sent: no route to the destination.</summary>
    NoRoute,
    /// <summary>The request was larger than the path allows with Don't Fragment set.</summary>
    TooBig,
}

/// <summary>The outcome of one echo request (named apart from System.Net.NetworkInformation.PingReply: not every
/// outcome is a reply).</summary>
/// <param name="Status">How the request ended.</param>
/// <param name="Destination">The address pinged.</param>
/// <param name="Sequence">ICMP echo sequence number of the request.</param>
/// <param name="RoundTripTime">From sending the request to the reply or error; zero for
/// <see cref="PingStatus.TimedOut"/> and unsent requests.</param>
/// <param name="From">Who answered: the destination, or the router that sent the error; null when nobody did.</param>
/// <param name="TimeToLive">TTL of the reply datagram.</param>
/// <param name="DataLength">Echo data bytes in the reply (ICMP header excluded).</param>
/// <param name="IcmpCode">Code of the ICMP error (e.g. an <see cref="UnreachableCode"/>); 0 otherwise.</param>
public sealed record PingResult(
    PingStatus Status,
    Ipv4Address Destination,
    ushort Sequence,
    Duration RoundTripTime = default,
    Ipv4Address? From = null,
    byte TimeToLive = 0,
    int DataLength = 0,
    byte IcmpCode = 0)
{
    /// <summary>The outcome in the terms UDP and TCP failures use (Success for a reply).</summary>
    public SocketError SocketError => Status switch
    {
        PingStatus.Success => SocketError.Success,
        PingStatus.TimedOut => SocketError.TimedOut,
        PingStatus.NoRoute => SocketError.NetworkUnreachable,
        PingStatus.TooBig => SocketError.MessageSize,
        PingStatus.DestinationUnreachable when (UnreachableCode)IcmpCode == UnreachableCode.Network => SocketError.NetworkUnreachable,
        PingStatus.DestinationUnreachable when (UnreachableCode)IcmpCode is UnreachableCode.Port or UnreachableCode.Protocol
            => SocketError.ConnectionRefused,
        _ => SocketError.HostUnreachable,
    };

    /// <summary>One line in ping(8)'s style, e.g. "64 bytes from 192.0.2.1: icmp_seq=1 ttl=64 time=0.5 ms".</summary>
    public override string ToString() => Status switch
    {
        PingStatus.Success => $"{DataLength + 8} bytes from {From}: icmp_seq={Sequence} ttl={TimeToLive} time={RoundTripTime.TotalMilliseconds:0.###} ms",
        PingStatus.DestinationUnreachable => $"From {From} icmp_seq={Sequence} Destination {(UnreachableCode)IcmpCode} Unreachable",
        PingStatus.TimeExceeded => $"From {From} icmp_seq={Sequence} Time to live exceeded",
        _ => $"{Destination} icmp_seq={Sequence} {Status}",
    };
}
