using Netstack.Api;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Drivers.Tap;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Hosts;

/// <summary>Plays one host of a scenario and owns what steps open on it: its sockets, pings and TCP endpoints.
/// <see cref="StackHostDriver"/> is one of our stacks, <see cref="LinuxHostDriver"/> the Linux kernel behind a
/// tap, <see cref="ScriptedPeerDriver"/> a bare port that sends what <c>inject</c> steps build. A call the host
/// cannot serve fails the step; the loader already refuses steps a host's <see cref="HostAbility"/> lacks.</summary>
public abstract class HostDriver(HostSpec spec) : IDisposable
{
    private int _pingsExpected;

    public HostSpec Spec { get; } = spec;
    public string Name => Spec.Name;

    /// <summary>Our stack, for steps that read its internals (ARP cache, counters).</summary>
    public virtual NetworkStack Stack => throw new StepFailedException($"host '{Name}' has no stack");

    /// <summary>The IPv6 neighbour cache of every interface (<see cref="HostAbility.Ipv6State"/>); our stack's here.</summary>
    public virtual IReadOnlyList<Ipv6NeighborView> Ipv6Neighbors() =>
        Ipv6Interfaces().SelectMany(i => i.Neighbors.Entries)
            .Select(e => new Ipv6NeighborView(e.Address, Steps.NeighborCacheExpectation.Name(e.State), e.State == Netstack.Link.NeighborState.Incomplete ? null : e.Mac, e.IsRouter))
            .OrderBy(e => e.Address).ToList();

    /// <summary>The IPv6 addresses of every interface and their states (<see cref="HostAbility.Ipv6State"/>); our
    /// stack's here.</summary>
    public virtual IReadOnlyList<Ipv6AddressView> Ipv6Addresses() =>
        Ipv6Interfaces().SelectMany(i => i.Addresses)
            .Select(a => new Ipv6AddressView(a.Address, a.Cidr.PrefixLength, Steps.Ipv6AddressExpectation.Name(a.State), Steps.Ipv6AddressExpectation.OriginName(a.Origin)))
            .ToList();

    private IEnumerable<Netstack.Network.Ipv6.Ipv6Interface> Ipv6Interfaces() =>
        Stack.Interfaces.Where(i => i.Ipv6 is not null).Select(i => i.Ipv6!);

    // ------------------------------------------------------------------ ping

    /// <summary>Sends one echo request.</summary>
    public virtual void SendPing(Ipv4Address to, int size, Duration timeout, byte? timeToLive, bool dontFragment) =>
        throw Unsupported("ping");

    /// <summary>The completed pings, in completion order.</summary>
    /// <summary>One ICMPv6 echo request (ping6); its result joins <see cref="PingResults"/>.</summary>
    public virtual void SendPing6(Ipv6Address to, int size, Duration timeout, byte? hopLimit) => throw Unsupported("ping6");

    public virtual IReadOnlyList<PingResult> PingResults => throw Unsupported("ping");

    /// <summary>How many pings steps have asked this host to send so far.</summary>
    public int PingsExpected => _pingsExpected;

    public void ExpectPings(int count) => _pingsExpected += count;

    // ------------------------------------------------------------------ wire

    /// <summary>Bridges <paramref name="tap"/>, behind which the kernel or an external implementation plays this host,
    /// onto a port of its first interface's segment: what the host sends enters the segment as its frames (recorded
    /// as such, subject to the segment's latency and faults), and what the segment delivers to the port goes to the
    /// tap.</summary>
    protected void BridgeToSegment(WorldBuilder world, TapLink tap, FrameLog log) =>
        BridgeToSegment(world, Name, Spec.Interfaces[0], tap, log);

    /// <summary>The same for a host no driver plays (packetdrill's local host): <paramref name="tap"/> plays
    /// <paramref name="host"/> on interface <paramref name="i"/>.</summary>
    internal static void BridgeToSegment(WorldBuilder world, string host, InterfaceSpec i, TapLink tap, FrameLog log)
    {
        Netstack.Link.ILink port = world.World.ConnectPort(host, world.World.Segments[i.Segment]);
        _ = new FrameForwarder(tap, port);
        log.MapSegment(i.Mac, i.Segment);
    }

    // ------------------------------------------------------------------ UDP

    public virtual void BindUdp(SocketName name) => throw Unsupported("UDP sockets");

    /// <summary>True when <paramref name="name"/> was bound (by a step, or by sending from it).</summary>
    public virtual bool IsBound(SocketName name) => false;

    /// <summary>Sends a datagram from <paramref name="from"/>, binding it first if no step did.</summary>
    public void SendUdp(SocketName from, IpAddress to, ushort port, byte[] payload)
    {
        if (!IsBound(from)) BindUdp(from);
        SendUdpFromBound(from, to, port, payload);
    }

    protected virtual void SendUdpFromBound(SocketName from, IpAddress to, ushort port, byte[] payload) =>
        throw Unsupported("UDP sockets");

    /// <summary>Datagrams received on a socket and not yet matched by an expectation, oldest first.</summary>
    public virtual Queue<ReceivedDatagram> Received(SocketName name) => throw NotBound(name);

    /// <summary>One of our stacks' sockets, for its ICMP error queue.</summary>
    public virtual UdpSocket UdpSocket(SocketName name) => throw NotBound(name);

    /// <summary>How many datagrams a socket has received and what error waits on it, for reports.</summary>
    public virtual string DescribeUdp(SocketName name) => throw NotBound(name);

    protected static StepFailedException NotBound(SocketName name) =>
        new($"no socket {name} is bound (add a udp-bind step before this one)");

    // ------------------------------------------------------------------ TCP

    public virtual void ListenTcp(SocketName name, int backlog) => throw Unsupported("TCP sockets");

    /// <summary>A listener's queues: connections half-open (SYN received, handshake not complete) and complete but
    /// not yet accepted.</summary>
    public virtual (int HalfOpen, int AcceptQueue) ListenerQueues(SocketName name) => throw Unsupported("a view of listener queues");

    /// <summary>An active open named <paramref name="name"/> for later steps.</summary>
    public virtual TcpEndpoint ConnectTcp(string name, IpAddress address, ushort port, ushort localPort) =>
        throw Unsupported("TCP sockets");

    /// <summary>The next connection <paramref name="listener"/> hands over, named <paramref name="name"/>.</summary>
    public virtual TcpEndpoint AcceptTcp(string name, SocketName listener) =>
        throw new StepFailedException($"nothing listens on {listener}");

    // ------------------------------------------------------------------ frames

    /// <summary>Sends a hand-built frame from this host onto <paramref name="segment"/>.</summary>
    public virtual void Inject(string segment, byte[] frame) =>
        throw new StepFailedException($"host '{Name}' has a stack; only a host with 'scripted: true' injects frames");

    // ------------------------------------------------------------------ commands

    /// <summary>Runs a shell command in the host's namespace: its exit code, what it printed (stdout, then
    /// stderr), and whether it was ended for taking longer than <paramref name="timeout"/>.</summary>
    public virtual (int ExitCode, string Output, bool TimedOut) Exec(string command, Duration timeout) =>
        throw new StepFailedException($"host '{Name}' has no namespace to run a command in");

    public virtual void Dispose() { }

    protected StepFailedException Unsupported(string what) => new($"host '{Name}' has no {what}");
}
