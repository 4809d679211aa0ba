namespace Netstack.Diagnostics;

/// <summary>Why the stack discarded something. Every frame that is not processed is counted under one
/// of these, so "where did my packet go" always has an answer.</summary>
public enum DropReason
{
    EthernetTruncated,
    EthernetNotForUs,
    EthernetUnknownType,
    ArpMalformed,
    ArpNotForUs,
    ArpQueueFull,
    ArpResolutionFailed,
    Ipv4Truncated,
    Ipv4BadVersion,
    Ipv4BadHeaderLength,
    Ipv4BadTotalLength,
    Ipv4TotalLengthBeyondFrame,
    Ipv4BadChecksum,
    Ipv4FragmentTooLarge,
    Ipv4NotForUs,
    Ipv4UnknownProtocol,
    Ipv4NoRoute,
    Ipv4TtlExpired,
    Ipv4DontFragmentTooBig,
    FragmentOverlap,
    FragmentDuplicate,
    FragmentInconsistent,
    FragmentMemoryExhausted,
    FragmentTimeout,
    IcmpTruncated,
    IcmpBadChecksum,
    IcmpUnhandledType,
    IcmpErrorNoSocket,
    UdpMalformed,
    UdpBadChecksum,
    UdpNoListener,
    UdpReceiveQueueFull,
    TcpMalformed,
    TcpBadChecksum,
    TcpNoConnection,
    TcpUnacceptable,
    TcpBacklogFull,
    TcpOutOfOrderQueueFull,
    TcpReceiveBufferFull,
    TcpChallengeAckRateLimited,
    UdpErrorQueueFull,
    /// <summary>Fragments whose first header plus the payload they add up to exceed 65,535 bytes (RFC 791).</summary>
    FragmentDatagramTooLarge,
    /// <summary>A source no host may send from (RFC 1122 §3.2.1.3): broadcast, multicast, loopback, 0.0.0.0
    /// (except as the source of nothing we answer), class E, or our own address arriving from the wire.</summary>
    Ipv4InvalidSource,
    /// <summary>An ARP sender hardware address no station can have: all zeros, broadcast/multicast, or ours.</summary>
    ArpInvalidSenderMac,
    /// <summary>A frame whose processing threw: a stack defect, caught at the frame entry so the host lives on.</summary>
    FrameHandlerFault,
}
