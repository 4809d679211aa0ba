namespace Netstack.Diagnostics;

/// <summary>Per-stack counters: frames in and out, and drops by reason. Plain fields, no locking:
/// the stack is single-threaded.</summary>
public sealed class StackCounters
{
    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;
    private readonly long[] _drops = new long[ReasonCount];

    public long FramesReceived;
    public long FramesSent;
    public long BytesReceived;
    public long BytesSent;
    public long Ipv4Delivered;
    public long FragmentsSent;
    /// <summary>Fragments accepted into a reassembly (not yet a whole datagram).</summary>
    public long FragmentsQueued;
    public long DatagramsReassembled;
    /// <summary>ARP packets parsed and acted on (learned from, answered, or both).</summary>
    public long ArpPacketsProcessed;
    public long ArpRequestsSent;
    public long ArpRepliesSent;
    public long IcmpEchoRepliesSent;
    public long IcmpErrorsSent;
    /// <summary>ICMP errors not sent because the rate limit was reached.</summary>
    public long IcmpErrorsRateLimited;
    public long TcpRetransmissions;
    /// <summary>Tail loss probes sent (RFC 8985 §7), new data or a retransmission of the last segment.</summary>
    public long TcpLossProbesSent;
    /// <summary>Connections whose MSS an ICMP "fragmentation needed" lowered (RFC 1191).</summary>
    public long TcpPathMtuReductions;
    public long TcpSegmentsSent;
    public long TcpSegmentsReceived;
    public long TcpResetsSent;
    public long TcpChallengeAcksSent;
    public long TcpSynCookiesSent;
    public long TcpSynCookiesAccepted;
    public long TcpWindowProbesSent;
    public long TcpKeepalivesSent;

    public void Drop(DropReason reason)
    {
        _drops[(int)reason]++;
        TotalDropped++;
    }
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
