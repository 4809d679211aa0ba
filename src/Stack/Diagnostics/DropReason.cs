namespace Netstack.Diagnostics;

/// <summary>Why the stack discarded something. Every frame that is not processed is counted under one
/// of these, so "where did my packet go" always has an answer.</summary>
public enum DropReason
{
    /// <summary>A frame shorter than the 14-byte Ethernet header.</summary>
    EthernetTruncated,
    /// <summary>A frame for another MAC address (neither ours nor broadcast).</summary>
    EthernetNotForUs,
    /// <summary>A frame with an EtherType the stack does not handle (not IPv4 or ARP; IPv6 included).</summary>
    EthernetUnknownType,
    /// <summary>An ARP packet that is truncated, not Ethernet/IPv4, has an unknown opcode, or claims the broadcast
    /// address as sender.</summary>
    ArpMalformed,
    /// <summary>An ARP packet for another target address, from a sender not in our cache (nothing to merge or
    /// answer).</summary>
    ArpNotForUs,
    /// <summary>A datagram waiting for address resolution: the per-neighbour queue or the cache
    /// (<see cref="Link.ArpOptions"/>) was full.</summary>
    ArpQueueFull,
    /// <summary>A datagram that waited for a neighbour that never answered ARP; its sender is told "host
    /// unreachable".</summary>
    ArpResolutionFailed,
    /// <summary>A datagram shorter than 20 bytes or than its header length field says.</summary>
    Ipv4Truncated,
    /// <summary>A datagram whose version field is not 4.</summary>
    Ipv4BadVersion,
    /// <summary>A datagram whose IHL is below 5 (header shorter than 20 bytes).</summary>
    Ipv4BadHeaderLength,
    /// <summary>A datagram whose Total Length is smaller than its header.</summary>
    Ipv4BadTotalLength,
    /// <summary>A datagram whose Total Length claims more bytes than the frame carried.</summary>
    Ipv4TotalLengthBeyondFrame,
    /// <summary>A datagram whose header checksum does not verify (RFC 791).</summary>
    Ipv4BadChecksum,
    /// <summary>A fragment whose offset plus length exceeds 65,535 bytes (the "ping of death").</summary>
    Ipv4FragmentTooLarge,
    /// <summary>A datagram addressed to someone else while forwarding is off (or to a broadcast/multicast we do not
    /// forward).</summary>
    Ipv4NotForUs,
    /// <summary>A datagram for us carrying a protocol with no handler; answered with Protocol Unreachable.</summary>
    Ipv4UnknownProtocol,
    /// <summary>A datagram to send or forward with no route to its destination.</summary>
    Ipv4NoRoute,
    /// <summary>A datagram to forward whose TTL ran out; answered with Time Exceeded.</summary>
    Ipv4TtlExpired,
    /// <summary>A datagram larger than the outgoing MTU with DF set; answered with (or reported locally as)
    /// Fragmentation Needed.</summary>
    Ipv4DontFragmentTooBig,
    /// <summary>A fragment overlapping, but not exactly repeating, data already received; the whole reassembly is
    /// discarded (as RFC 5722 does for IPv6).</summary>
    FragmentOverlap,
    /// <summary>A fragment covering exactly the range of one already received; the first copy stands.</summary>
    FragmentDuplicate,
    /// <summary>A fragment contradicting its reassembly (a different end, data past the end) or a non-last fragment
    /// empty or not a multiple of 8 bytes.</summary>
    FragmentInconsistent,
    /// <summary>A fragment, or the oldest pending reassembly, discarded because the reassembly count or buffer limit
    /// was reached.</summary>
    FragmentMemoryExhausted,
    /// <summary>A reassembly that did not complete in time (RFC 791 §3.2); its fragments are discarded.</summary>
    FragmentTimeout,
    /// <summary>An ICMP message shorter than its 8-byte header, or an error quoting less than an IP header plus 8
    /// bytes.</summary>
    IcmpTruncated,
    /// <summary>An ICMP message whose checksum does not verify.</summary>
    IcmpBadChecksum,
    /// <summary>An ICMP message of a type we do not act on, an echo request to a broadcast address, or an echo reply
    /// nobody waits for.</summary>
    IcmpUnhandledType,
    /// <summary>An ICMP error about a datagram no socket or protocol of ours owns.</summary>
    IcmpErrorNoSocket,
    /// <summary>A UDP datagram shorter than 8 bytes or whose length field disagrees with the IP payload.</summary>
    UdpMalformed,
    /// <summary>A UDP datagram whose non-zero checksum does not verify (RFC 768).</summary>
    UdpBadChecksum,
    /// <summary>A UDP datagram to a port with no socket; answered with Port Unreachable.</summary>
    UdpNoListener,
    /// <summary>A UDP datagram for a socket whose receive queue was full (the application reads too slowly).</summary>
    UdpReceiveQueueFull,
    /// <summary>A TCP segment with a bad data offset or a malformed options area.</summary>
    TcpMalformed,
    /// <summary>A TCP segment whose checksum does not verify (RFC 9293 §3.1).</summary>
    TcpBadChecksum,
    /// <summary>A TCP segment for no connection or listener (answered with RST unless it is one), or to/from a
    /// broadcast or multicast address (RFC 1122 §4.2.3.10).</summary>
    TcpNoConnection,
    /// <summary>A TCP segment failing the RFC 9293 §3.10.7 acceptability checks (sequence, ACK or SYN/RST rules) or a
    /// non-SYN to a listener.</summary>
    TcpUnacceptable,
    /// <summary>A SYN to a listener whose backlog is full and SYN cookies are off; the client retries.</summary>
    TcpBacklogFull,
    /// <summary>Out-of-order TCP data not kept: the out-of-order range list was full.</summary>
    TcpOutOfOrderQueueFull,
    /// <summary>TCP data not stored: already received (a retransmission) or beyond the free receive buffer; the peer
    /// gets an ACK.</summary>
    TcpReceiveBufferFull,
    /// <summary>A suspicious TCP segment dropped without the challenge ACK RFC 5961 asks for, because the challenge ACK
    /// rate limit (RFC 5961 §7) was reached.</summary>
    TcpChallengeAckRateLimited,
    /// <summary>An ICMP error for a UDP socket whose error queue was full.</summary>
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
    /// <summary>An IPv6 packet shorter than its 40-byte fixed header.</summary>
    Ipv6Truncated,
    /// <summary>An IPv6 frame whose version field is not 6.</summary>
    Ipv6BadVersion,
    /// <summary>An IPv6 packet whose Payload Length claims more bytes than the frame carried.</summary>
    Ipv6PayloadLengthBeyondFrame,
    /// <summary>An IPv6 packet from a source no node may send from: multicast, loopback, or one of our own
    /// addresses arriving from the wire.</summary>
    Ipv6InvalidSource,
    /// <summary>An IPv6 packet for an address or group not ours (we do not forward IPv6).</summary>
    Ipv6NotForUs,
    /// <summary>An IPv6 packet for our tentative address that is not part of duplicate address detection
    /// (RFC 4862 §5.4).</summary>
    Ipv6TentativeDestination,
    /// <summary>An extension header running past the end of the packet, or a malformed option in one.</summary>
    Ipv6ExtensionHeaderTruncated,
    /// <summary>A hop-by-hop options header anywhere but directly after the fixed header (RFC 8200 §4.1); answered
    /// with Parameter Problem code 1.</summary>
    Ipv6HopByHopNotFirst,
    /// <summary>An option whose type is unknown and whose high bits say discard (RFC 8200 §4.2); answered with
    /// Parameter Problem code 2 when the bits ask for it.</summary>
    Ipv6UnknownOption,
    /// <summary>A routing header with segments left, of type 0 (RFC 5095) or any other: we route no packets;
    /// answered with Parameter Problem code 0.</summary>
    Ipv6RoutingHeaderRefused,
    /// <summary>A Next Header value that is no extension header and no protocol we handle; answered with Parameter
    /// Problem code 1.</summary>
    Ipv6UnknownNextHeader,
    /// <summary>A packet whose header chain ends with No Next Header (59): nothing to deliver.</summary>
    Ipv6NoNextHeader,
    /// <summary>An IPv6 packet to send with no on-link prefix, no default router and no interface for it.</summary>
    Ipv6NoRoute,
    /// <summary>An IPv6 packet to send larger than the path MTU when fragmenting was not allowed.</summary>
    Ipv6PacketTooBig,
    /// <summary>A fragment overlapping data already received: the whole datagram, fragments still to come included,
    /// is discarded (RFC 5722).</summary>
    Ipv6FragmentOverlap,
    /// <summary>A fragment repeating exactly a range already received; the first copy stands.</summary>
    Ipv6FragmentDuplicate,
    /// <summary>A fragment contradicting its reassembly (a different end, data past the end), a non-last fragment not
    /// a multiple of 8 bytes (answered with Parameter Problem), or one of a datagram already discarded.</summary>
    Ipv6FragmentInconsistent,
    /// <summary>A fragment whose end lies beyond 65,535 bytes (RFC 8200 §4.5); answered with Parameter Problem.</summary>
    Ipv6FragmentTooLarge,
    /// <summary>A fragment, or the oldest pending IPv6 reassembly, discarded because the reassembly count or memory
    /// limit was reached.</summary>
    Ipv6FragmentMemoryExhausted,
    /// <summary>An IPv6 reassembly that did not complete within 60 s (RFC 8200 §4.5); answered with Time Exceeded
    /// code 1 when the first fragment had arrived.</summary>
    Ipv6FragmentTimeout,
    /// <summary>An ICMPv6 message shorter than its header or than its type requires.</summary>
    Ipv6IcmpTruncated,
    /// <summary>An ICMPv6 message whose checksum does not verify.</summary>
    Ipv6IcmpBadChecksum,
    /// <summary>An ICMPv6 message of a type we do not act on, an echo request to a multicast group, or an echo reply
    /// nobody waits for.</summary>
    Ipv6IcmpUnhandledType,
    /// <summary>An ICMPv6 error about a packet no socket or protocol of ours owns.</summary>
    Ipv6IcmpErrorNoSocket,
    /// <summary>A Neighbor Discovery message failing RFC 4861's validation (hop limit not 255, code not 0, too short,
    /// malformed options, a multicast target, a forbidden combination of fields).</summary>
    Ipv6NdpInvalid,
    /// <summary>A Neighbor Solicitation for an address not ours, or an advertisement for a neighbour we never asked
    /// about.</summary>
    Ipv6NdpNotForUs,
    /// <summary>A packet dropped because neighbour resolution was pending and its queue was full, or the cache was
    /// full of entries still resolving.</summary>
    Ipv6NeighborQueueFull,
    /// <summary>A packet whose next hop never answered its neighbour solicitations; its sender is told "address
    /// unreachable".</summary>
    Ipv6NeighborResolutionFailed,
    /// <summary>Duplicate address detection found another node using an address we were about to take (RFC 4862
    /// §5.4.5): the address is not used.</summary>
    Ipv6DuplicateAddress,
    /// <summary>A UDP datagram over IPv6 with a zero checksum, which IPv6 forbids (RFC 8200 §8.1).</summary>
    Ipv6UdpZeroChecksum,
    /// <summary>A Redirect failing RFC 4861 §8.1's validation: not from a link-local address, hop limit not 255, code
    /// not 0, too short, malformed options, a multicast destination, a target neither link-local nor the destination,
    /// or a sender that is not our current first hop (a default router) for the destination.</summary>
    Ipv6RedirectInvalid,
}
