using System.Net.Sockets;
using Netstack.Wire;

namespace Netstack.Api;

public enum PingStatus
{
    Success,
    TimedOut,
    DestinationUnreachable,
    TimeExceeded,
    NoRoute,
    /// <summary>The request was larger than the path allows with Don't Fragment set.</summary>
    TooBig,
}

/// <summary>The outcome of one echo request (named apart from System.Net.NetworkInformation.PingReply: not every
/// outcome is a reply).</summary>
public sealed record PingResult(
    PingStatus Status,
    Ipv4Address Destination,
    ushort Sequence,
    TimeSpan RoundTripTime = default,
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

    public override string ToString() => Status switch
    {
        PingStatus.Success => $"{DataLength + 8} bytes from {From}: icmp_seq={Sequence} ttl={TimeToLive} time={RoundTripTime.TotalMilliseconds:0.###} ms",
        PingStatus.DestinationUnreachable => $"From {From} icmp_seq={Sequence} Destination {(UnreachableCode)IcmpCode} Unreachable",
        PingStatus.TimeExceeded => $"From {From} icmp_seq={Sequence} Time to live exceeded",
        _ => $"{Destination} icmp_seq={Sequence} {Status}",
    };
}
