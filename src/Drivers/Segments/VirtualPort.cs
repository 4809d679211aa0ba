using Netstack.Drivers.Loops;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Drivers.Segments;

/// <summary>One host's connection to a <see cref="VirtualSegment"/>: the link the host's stack sees.</summary>
public sealed class VirtualPort : ILink
{
    private readonly VirtualSegment _segment;
    private IFrameReceiver? _receiver;

    internal VirtualPort(VirtualSegment segment, string name)
    {
        _segment = segment;
        Name = name;
    }

    /// <summary>The partition the host on this port runs in, when the world runs in parallel: what the host sends
    /// waits in the partition's outbox until the window ends, and the segment carries it then.</summary>
    internal LogicalProcess? Partition { get; private set; }

    internal void JoinPartition(LogicalProcess partition) => Partition = partition;

    public string Name { get; }
    internal VirtualSegment Segment => _segment;
    public int Mtu => _segment.Options.Mtu;
    /// <summary>When the port finishes serializing what it has already sent.</summary>
    internal Instant BusyUntil { get; set; }
    // The segment's cache of this port's last learning-table look-ups (see VirtualSegment.Learn).
    internal MacAddress LearnedSource;
    internal long LearnedSourceVersion = -1;
    internal MacAddress LookedUpDestination;
    internal long LookedUpVersion = -1;
    internal VirtualPort? LookedUpPort;
    /// <summary>Delivers the unicast frames in flight to this port (see VirtualSegment.ScheduleUnicast).</summary>
    internal VirtualSegment.UnicastArrival? Arrival;

    /// <summary>True when everything sent into this port is sent by one of our stacks that computes every TCP, UDP and ICMP
    /// checksum itself (it does not forward others' packets): a frame that reaches a receiver unaltered (no fault on
    /// the segment) is then handed over as checksum-verified, as Linux's veth and loopback hand over
    /// CHECKSUM_UNNECESSARY, and the receiving stack does not sum its payload again. The bytes and the recording are
    /// the same; a frame a fault injector carried, a script injected or a router forwarded is verified as usual.</summary>
    public bool VouchesForTransportChecksums { get; set; }

    /// <summary>False while the link is down: frames sent or arriving are lost.</summary>
    public bool IsUp { get; set; } = true;
    public long FramesLostWhileDown { get; private set; }

    public void Attach(IFrameReceiver receiver) => _receiver = receiver;

    public void Transmit(ReadOnlySpan<byte> frame)
    {
        if (!IsUp)
        {
            FramesLostWhileDown++;
            return;
        }
        if (Partition is { } partition)
        {
            partition.Send(this, frame);
            return;
        }
        _segment.Transmit(this, frame);
    }

    internal void Deliver(ReadOnlySpan<byte> frame, bool checksumsVouched)
    {
        if (!IsUp)
        {
            FramesLostWhileDown++;
            return;
        }
        _receiver?.ReceiveFrame(frame, checksumsVouched);
    }

    /// <summary>The segment carries a frame from the partition's outbox (see <see cref="Partition"/>).</summary>
    internal void Carry(ReadOnlySpan<byte> frame) => _segment.Transmit(this, frame);

    public override string ToString() => Name;
}
