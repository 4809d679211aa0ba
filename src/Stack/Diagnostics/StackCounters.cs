namespace Netstack.Diagnostics;

/// <summary>Per-stack counters: frames in and out, and drops by reason. Plain fields, no locking:
/// the stack is single-threaded.</summary>
public sealed class StackCounters
{
    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;
    private readonly long[] _drops = new long[ReasonCount];

    /// <summary>Frames handed to the stack by its links, whatever became of them.</summary>
    public long FramesReceived;
    /// <summary>Frames transmitted on links.</summary>
    public long FramesSent;
    /// <summary>Bytes of received frames (Ethernet header included, no FCS).</summary>
    public long BytesReceived;
    /// <summary>Bytes of transmitted frames (Ethernet header and padding included, no FCS).</summary>
    public long BytesSent;
    /// <summary>IPv4 datagrams (whole or reassembled) handed to a transport protocol.</summary>
    public long Ipv4Delivered;
    /// <summary>IPv4 fragments transmitted (each counts once).</summary>
    public long FragmentsSent;
    /// <summary>Fragments accepted into a reassembly (not yet a whole datagram).</summary>
    public long FragmentsQueued;
    /// <summary>Datagrams completed from fragments.</summary>
    public long DatagramsReassembled;
    /// <summary>ARP packets parsed and acted on (learned from, answered, or both).</summary>
    public long ArpPacketsProcessed;
    /// <summary>ARP requests sent: resolutions, refreshes and announcements.</summary>
    public long ArpRequestsSent;
    /// <summary>ARP replies sent for our address.</summary>
    public long ArpRepliesSent;
    /// <summary>Echo replies sent in answer to pings.</summary>
    public long IcmpEchoRepliesSent;
    /// <summary>ICMP error messages sent (unreachable, time exceeded, ...).</summary>
    public long IcmpErrorsSent;
    /// <summary>ICMP errors not sent because the rate limit was reached.</summary>
    public long IcmpErrorsRateLimited;
    /// <summary>TCP segments sent again (timeout, fast retransmit, SACK recovery).</summary>
    public long TcpRetransmissions;
    /// <summary>Tail loss probes sent (RFC 8985 §7), new data or a retransmission of the last segment.</summary>
    public long TcpLossProbesSent;
    /// <summary>Segments RACK (RFC 8985 §6.2) deemed lost by time.</summary>
    public long TcpRackLosses;
    /// <summary>Congestion-window reductions undone because D-SACKs or F-RTO showed them spurious.</summary>
    public long TcpUndos;
    /// <summary>Retransmission timeouts F-RTO (RFC 5682) found spurious.</summary>
    public long TcpSpuriousTimeouts;
    /// <summary>Connections whose MSS an ICMP "fragmentation needed" lowered (RFC 1191).</summary>
    public long TcpPathMtuReductions;
    /// <summary>TCP segments sent, retransmissions included.</summary>
    public long TcpSegmentsSent;
    /// <summary>TCP segments accepted for a connection or listener.</summary>
    public long TcpSegmentsReceived;
    /// <summary>TCP RST segments sent.</summary>
    public long TcpResetsSent;
    /// <summary>Challenge ACKs sent in answer to suspicious RST/SYN/ACK segments (RFC 5961).</summary>
    public long TcpChallengeAcksSent;
    /// <summary>SYN-ACKs sent with a SYN cookie instead of keeping half-open state.</summary>
    public long TcpSynCookiesSent;
    /// <summary>Connections opened by an ACK carrying a valid SYN cookie.</summary>
    public long TcpSynCookiesAccepted;
    /// <summary>Zero-window probes sent (RFC 9293 §3.8.6.1).</summary>
    public long TcpWindowProbesSent;
    /// <summary>Keep-alive probes sent (RFC 1122 §4.2.3.6).</summary>
    public long TcpKeepalivesSent;

    /// <summary>IPv6 packets (whole or reassembled) handed to an upper-layer protocol.</summary>
    public long Ipv6Delivered;
    /// <summary>IPv6 fragments transmitted (each counts once).</summary>
    public long Ipv6FragmentsSent;
    /// <summary>IPv6 fragments accepted into a reassembly (not yet a whole packet).</summary>
    public long Ipv6FragmentsQueued;
    /// <summary>IPv6 packets completed from fragments.</summary>
    public long Ipv6DatagramsReassembled;
    /// <summary>ICMPv6 echo replies sent.</summary>
    public long Icmpv6EchoRepliesSent;
    /// <summary>ICMPv6 error messages sent.</summary>
    public long Icmpv6ErrorsSent;
    /// <summary>ICMPv6 errors not sent because the rate limit was reached.</summary>
    public long Icmpv6ErrorsRateLimited;
    /// <summary>Neighbor Solicitations sent: resolutions, probes and duplicate address detection.</summary>
    public long NeighborSolicitationsSent;
    /// <summary>Neighbor Advertisements sent in answer to solicitations for our addresses.</summary>
    public long NeighborAdvertisementsSent;
    /// <summary>Router Solicitations sent.</summary>
    public long RouterSolicitationsSent;
    /// <summary>Router Advertisements accepted (prefixes, default router, MTU).</summary>
    public long RouterAdvertisementsProcessed;
    /// <summary>Redirects accepted: a destination's next hop changed (RFC 4861 §8.3).</summary>
    public long RedirectsProcessed;
    /// <summary>MLDv2 reports sent for the groups we joined.</summary>
    public long MldReportsSent;
    /// <summary>Path MTU estimates lowered by ICMPv6 Packet Too Big (RFC 8201).</summary>
    public long Ipv6PathMtuReductions;

    /// <summary>Counts one thing discarded for <paramref name="reason"/>.</summary>
    public void Drop(DropReason reason)
    {
        _drops[(int)reason]++;
        TotalDropped++;
    }
    /// <summary>How many were discarded for <paramref name="reason"/>.</summary>
    public long Dropped(DropReason reason) => _drops[(int)reason];
    /// <summary>All drops, whatever the reason (kept as it goes: checkers read it after every frame).</summary>
    public long TotalDropped { get; private set; }

    /// <summary>Non-zero drop counters, for reports.</summary>
    public IEnumerable<(DropReason Reason, long Count)> NonZeroDrops()
    {
        for (int i = 0; i < _drops.Length; i++)
            if (_drops[i] != 0) yield return ((DropReason)i, _drops[i]);
    }
}
