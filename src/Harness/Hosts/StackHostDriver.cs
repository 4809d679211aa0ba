using Netstack.Api;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Link;
using Netstack.Network;
using Netstack.Drivers.Loops;
using Netstack.Wire;
using Netstack.Time;

namespace Netstack.Harness.Hosts;

/// <summary>A host played by one of our stacks, driven through its public API: ping, UDP sockets, TCP
/// listeners and streams. Everything runs on the loop thread, so the run stays deterministic.</summary>
public sealed class StackHostDriver : HostDriver
{
    public const HostAbility Abilities = HostAbility.Sockets | HostAbility.Inspect | HostAbility.Ipv6State;

    /// <summary>Our stack does everything but inject hand-built frames and run commands.</summary>
    public static string Refusal(string host, HostAbility missing = HostAbility.Inject) => missing == HostAbility.Exec
        ? $"host '{host}' is our stack: it has no namespace to run a command in (exec runs on a host played by Linux or an external implementation)"
        : $"host '{host}' has a stack; only a host with 'scripted: true' injects frames";

    private readonly NetworkStack _stack;
    private readonly IEventLoop _loop;
    private readonly Dictionary<SocketName, UdpSocket> _udp = new();
    private readonly Dictionary<SocketName, Queue<ReceivedDatagram>> _received = new();
    private readonly Dictionary<SocketName, TcpListenSocket> _listeners = new();

    /// <summary>Adds the host's stack to the world, attached to its segments, with its routes.</summary>
    public StackHostDriver(HostSpec spec, WorldBuilder world, FrameLog log) : base(spec)
    {
        var options = new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = spec.GratuitousArp },
            Ipv4 = new Ipv4Options { Forwarding = spec.Forwarding, DefaultTimeToLive = spec.TimeToLive ?? 64 },
            Tcp = Netstack.Transport.Tcp.TcpSettings.ForPersonality(spec.Personality),
        };
        // The host Linux plays on the tap wire has IPv6 set up quiet with a static address (LinuxPeer): no router
        // solicitations or SLAAC, and no duplicate address probes unless 'dad: true'. On the virtual wire our stack
        // stands in for it the same way. With ip6: slaac the kernel runs all three, as our stack does by default.
        if (spec.PlayedByLinux && !spec.Interfaces.Any(i => i.Ipv6Slaac))
            options = options with { Ipv6 = options.Ipv6 with { MaxRouterSolicitations = 0, AcceptRouterAdvertisements = false } };
        if (!spec.DuplicateAddressDetection)
            options = options with { Ipv6 = options.Ipv6 with { DuplicateAddressDetectTransmits = 0 } };
        options = spec.Stack.ApplyTo(options);
        _stack = world.AddHost(spec.Name, options, spec.Interfaces, spec.Routes);
        _loop = world.World.Loop;
        foreach (var i in spec.Interfaces) log.MapSegment(i.Mac, i.Segment);
        StackServices.Start(_stack, _loop, spec.Services);
    }

    public override NetworkStack Stack => _stack;

    public override void SendPing(Ipv4Address to, int size, Duration timeout, byte? timeToLive, bool dontFragment) =>
        _ = _stack.Ping.PingAsync(to, size, timeout, timeToLive, dontFragment);

    public override void SendPing6(Ipv6Address to, int size, Duration timeout, byte? hopLimit) =>
        _ = _stack.Ping.PingAsync(to, size, timeout, hopLimit);

    private readonly List<PingResult> _pingResults = new();

    /// <summary>The stack keeps a bounded queue of results to take; the run keeps all of its own.</summary>
    public override IReadOnlyList<PingResult> PingResults
    {
        get
        {
            while (_stack.Ping.TryTakeResult(out var r)) _pingResults.Add(r);
            return _pingResults;
        }
    }

    public override void BindUdp(SocketName name)
    {
        if (_udp.ContainsKey(name)) throw new StepFailedException($"{name} is already bound");
        _udp[name] = _stack.OpenUdp(name.Port);
        _received[name] = new Queue<ReceivedDatagram>();
    }

    public override bool IsBound(SocketName name) => _udp.ContainsKey(name);

    protected override void SendUdpFromBound(SocketName from, IpAddress to, ushort port, byte[] payload) =>
        _udp[from].SendTo(payload, to, port);

    public override UdpSocket UdpSocket(SocketName name) => _udp.TryGetValue(name, out var s) ? s : throw NotBound(name);

    public override Queue<ReceivedDatagram> Received(SocketName name)
    {
        var socket = UdpSocket(name);
        var queue = _received[name];
        while (socket.TryReceiveFrom(out var r)) queue.Enqueue(r);
        return queue;
    }

    public override string DescribeUdp(SocketName name)
    {
        var socket = UdpSocket(name);
        return $"{socket.DatagramsReceived} received in all" +
               (socket.PendingErrors.Count > 0 ? $"; pending error: {socket.PendingErrors.First()}" : "");
    }

    public override void ListenTcp(SocketName name, int backlog)
    {
        if (_listeners.ContainsKey(name)) throw new StepFailedException($"{name} is already listening");
        _listeners[name] = _stack.ListenTcp(name.Port, backlog);
    }

    public override (int HalfOpen, int AcceptQueue) ListenerQueues(SocketName name) =>
        _listeners.TryGetValue(name, out var listener)
            ? (listener.HalfOpen, listener.PendingAccepts)
            : throw new StepFailedException($"{name} is not listening");

    public override TcpEndpoint ConnectTcp(string name, IpAddress address, ushort port, ushort localPort)
    {
        var before = _stack.Tcp.Connections.ToHashSet();
        var endpoint = new StackTcpEndpoint(name, Name, _loop) { Opening = address.IsIpv4
            ? _stack.ConnectTcpAsync(address.Ipv4, port, localPort) : _stack.ConnectTcpAsync(address.Ipv6, port, localPort) };
        // The connection exists as soon as the SYN is sent; find it so its state can be checked before it is up
        // (the public API hands out the stream only once the handshake completed).
        endpoint.Connection = _stack.Tcp.Connections.FirstOrDefault(c => !before.Contains(c));
        if (endpoint.Opening.IsFaulted)
            throw new StepFailedException($"connect failed at once: {endpoint.Opening.Exception!.InnerException!.Message}");
        return endpoint;
    }

    public override TcpEndpoint AcceptTcp(string name, SocketName listener)
    {
        if (!_listeners.TryGetValue(listener, out var l)) throw new StepFailedException($"nothing listens on {listener}");
        return new StackTcpEndpoint(name, listener.Host, _loop) { Opening = l.AcceptAsync() };
    }
}
