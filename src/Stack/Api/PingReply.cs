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

/// <summary>The outcome of one echo request.</summary>
public sealed record PingReply(
    PingStatus Status,
    Ipv4Address Destination,
    ushort Sequence,
    TimeSpan RoundTripTime = default,
    Ipv4Address? From = null,
    byte TimeToLive = 0,
    int DataLength = 0,
    byte IcmpCode = 0)
{
    public override string ToString() => Status switch
    {
        PingStatus.Success => $"{DataLength + 8} bytes from {From}: icmp_seq={Sequence} ttl={TimeToLive} time={RoundTripTime.TotalMilliseconds:0.###} ms",
        PingStatus.DestinationUnreachable => $"From {From} icmp_seq={Sequence} Destination {(UnreachableCode)IcmpCode} Unreachable",
        PingStatus.TimeExceeded => $"From {From} icmp_seq={Sequence} Time to live exceeded",
        _ => $"{Destination} icmp_seq={Sequence} {Status}",
    };
}
