using Netstack.Link;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Drivers;

/// <summary>A world of segments and hosts that are full stack instances, driven by one event loop. On the
/// virtual loop (the default) it is deterministic: all randomness derives from <see cref="Seed"/>, so the same
/// set-up and seed replays byte for byte. On a real-time loop the same world meets real devices.</summary>
public sealed class World
{
    private readonly SeededRandom _random;
    private readonly Dictionary<string, NetworkStack> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VirtualSegment> _segments = new(StringComparer.Ordinal);

    /// <param name="seed">Every host's and fault's random generator derives from it.</param>
    /// <param name="capture">When set, every frame each host sends is written here (one copy per frame, at
    /// the time it is put on the wire).</param>
    /// <param name="loop">The loop that drives the world; a new <see cref="VirtualEventLoop"/> when omitted.</param>
    public World(ulong seed, IFrameSink? capture = null, IEventLoop? loop = null)
    {
        Seed = seed;
        _random = new SeededRandom(seed);
        Capture = capture;
        Loop = loop ?? new VirtualEventLoop();
    }

    public ulong Seed { get; }
    public IEventLoop Loop { get; }
    public IFrameSink? Capture { get; }

    /// <summary>Per-host captures (rx, tx or both) added around each port a host is attached with, or null.</summary>
    public HostCaptures? HostCaptures { get; set; }
    public IReadOnlyDictionary<string, NetworkStack> Hosts => _hosts;
    public IReadOnlyDictionary<string, VirtualSegment> Segments => _segments;

    /// <summary>An independent generator for a consumer other than a host (fault rules, workloads).</summary>
    public SeededRandom ForkRandom() => _random.Fork();

    public VirtualSegment AddSegment(string name, SegmentOptions? options = null)
    {
        var segment = new VirtualSegment(Loop, options, name);
        _segments.Add(name, segment);
        return segment;
    }

    public NetworkStack AddHost(string name, StackOptions? options = null)
    {
        // In a parallel world every host is a partition with its own scheduler.
        var scheduler = Loop is ParallelVirtualLoop parallel ? parallel.AddHost(name) : Loop;
        var stack = new NetworkStack(scheduler, _random.Fork(), options, name);
        _hosts.Add(name, stack);
        return stack;
    }

    /// <summary>Connects <paramref name="host"/> to <paramref name="segment"/> with an address.</summary>
    public NetworkInterface Attach(NetworkStack host, VirtualSegment segment, MacAddress mac, Ipv4Cidr address, int? mtu = null)
    {
        var link = ConnectPort(host.Name, segment);
        // Only the stack sends into this port; one that forwards could pass on a checksum it did not compute.
        segment.Ports[^1].VouchesForTransportChecksums = !host.Options.Ipv4.Forwarding;
        return host.AddInterface(link, mac, address, mtu);
    }

    /// <summary>A new port for <paramref name="host"/> on <paramref name="segment"/> (named <c>host.segment</c>),
    /// decorated with the world's captures: the host's own capture, if any, right at the port (it sees what the port
    /// delivers), then the segment's recording of what is sent on it outermost (a frame the host sends is in the
    /// segment's recording first). Whatever plays the host (a stack, a tap forwarder, a script) attaches to the link
    /// returned.</summary>
    public ILink ConnectPort(string host, VirtualSegment segment)
    {
        var port = segment.Connect($"{host}.{segment.Name}");
        if (Loop is ParallelVirtualLoop parallel) return ConnectPartitionedPort(parallel, host, port);
        ILink link = port;
        if (HostCaptures is { } captures)
            link = captures.Wrap(host, link, Loop);
        if (Capture is not null)
            link = new CaptureLink(link, Loop, Capture, host, CaptureDirections.Outbound);
        return link;
    }

    private ILink ConnectPartitionedPort(ParallelVirtualLoop parallel, string host, VirtualPort port)
    {
        if (!_hosts.TryGetValue(host, out var stack))
            throw new NotSupportedException($"'{host}' is not a stack: a parallel world connects only its own hosts");
        if (HostCaptures is not null)
            throw new NotSupportedException("per-host captures are not supported in a parallel world; record the whole world");
        parallel.Attach(port, stack.Scheduler);
        return Capture is null ? port
            : new CaptureLink(port, stack.Scheduler, parallel.CaptureOf(stack.Scheduler, Capture), host, CaptureDirections.Outbound);
    }

    /// <summary>Brings every host up (gratuitous ARP), in the order they were added.</summary>
    public void Start()
    {
        foreach (var h in _hosts.Values) h.Start();
    }

    public Instant Now => Loop.Now;
}
