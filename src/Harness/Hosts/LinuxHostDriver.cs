using System.Net;
using System.Net.Sockets;
using Netstack.Api;
using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Tap;
using Netstack.Wire;
using Netstack.Time;
using UdpSocket = Netstack.Api.UdpSocket;
using ReceivedDatagram = Netstack.Api.ReceivedDatagram;

namespace Netstack.Harness.Hosts;

/// <summary>A host played by the Linux kernel on the tap wire: a namespace made for the run, whose tap is bridged
/// to a port of the host's segment. What the kernel sends enters the segment as the host's frames (recorded as
/// such, subject to the segment's latency and faults), and what the segment delivers to that port is written to
/// the tap. Steps act through sockets opened in the namespace; the kernel's internals are not read.</summary>
public sealed class LinuxHostDriver : HostDriver
{
    public const HostAbility Abilities = HostAbility.Sockets | HostAbility.Exec;

    /// <summary>The kernel is reached through its sockets: its internals are not read, and it sends only what
    /// they make it send.</summary>
    public static string Refusal(string host, HostAbility missing, string key) => missing == HostAbility.Inspect
        ? $"host '{host}' is played by Linux: its {key} cannot be read on the tap wire; check its traffic or what its sockets receive instead"
        : StackHostDriver.Refusal(host, missing);

    private readonly LinuxPeer _peer;
    private readonly RealTimeEventLoop _loop;
    private readonly ulong _seed;
    private readonly Dictionary<SocketName, LinuxUdpSocket> _udp = new();
    private readonly Dictionary<SocketName, Socket> _listeners = new();
    private LinuxPinger? _pinger;

    /// <param name="willPing">Opening the raw socket takes a while: when a step will ping, it is opened now, not
    /// when the first ping is due.</param>
    public LinuxHostDriver(HostSpec spec, WorldBuilder world, RealTimeEventLoop loop, FrameLog log, bool willPing) : base(spec)
    {
        var sim = world.World;
        _loop = loop;
        _seed = sim.Seed;
        _peer = LinuxPeer.Create(spec, loop, sim.Segments[spec.Interfaces[0].Segment].Options.Mtu);
        try
        {
            BridgeToSegment(world, _peer.Tap, log);
            if (willPing) Pinger();
            LinuxServices.Start(_peer, spec.Services);
        }
        catch
        {
            _peer.Dispose();
            throw;
        }
    }

    public override NetworkStack Stack =>
        throw new StepFailedException($"host '{Name}' is played by Linux on this wire: this step needs one of our stacks");

    // The identifier follows the seed (not the process id, as ping(8) has it), so reruns read alike.
    private LinuxPinger Pinger() => _pinger ??= new LinuxPinger(_peer, _loop, (ushort)(_seed * 0x9E37 + 0x6F5));

    /// <summary>Sends through the kernel's raw ICMP socket.</summary>
    public override void SendPing(Ipv4Address to, int size, Duration timeout, byte? timeToLive, bool dontFragment) =>
        Pinger().Send(to, size, timeout, timeToLive, dontFragment);

    /// <summary>Sends through the kernel's raw ICMPv6 socket (as ping -6 does).</summary>
    public override void SendPing6(Ipv6Address to, int size, Duration timeout, byte? hopLimit) =>
        Pinger().Send(to, size, timeout, hopLimit);

    public override IReadOnlyList<PingResult> PingResults => (IReadOnlyList<PingResult>?)_pinger?.Results ?? [];

    public override void BindUdp(SocketName name)
    {
        if (_udp.ContainsKey(name)) throw new StepFailedException($"{name} is already bound");
        _udp[name] = new LinuxUdpSocket(_peer, _loop, name.Port);
    }

    public override bool IsBound(SocketName name) => _udp.ContainsKey(name);

    protected override void SendUdpFromBound(SocketName from, IpAddress to, ushort port, byte[] payload) =>
        _udp[from].SendTo(payload, to, port);

    public override Queue<ReceivedDatagram> Received(SocketName name) =>
        _udp.TryGetValue(name, out var s) ? s.Received : throw NotBound(name);

    public override UdpSocket UdpSocket(SocketName name) => _udp.ContainsKey(name)
        ? throw new StepFailedException($"{name} is a socket of the host Linux plays: its ICMP error queue is not read")
        : throw NotBound(name);

    public override string DescribeUdp(SocketName name) =>
        _udp.TryGetValue(name, out var s) ? $"{s.DatagramsReceived} received in all" : throw NotBound(name);

    public override void ListenTcp(SocketName name, int backlog)
    {
        if (_listeners.ContainsKey(name)) throw new StepFailedException($"{name} is already listening");
        var socket = _peer.OpenTcpSocket();
        socket.Bind(new IPEndPoint(_peer.AnyAddress, name.Port));
        socket.Listen(backlog > 0 ? backlog : 128);
        _listeners[name] = socket;
    }

    public override TcpEndpoint ConnectTcp(string name, IpAddress address, ushort port, ushort localPort) =>
        LinuxTcpEndpoint.Connect(name, _peer, _loop, new IPEndPoint(address.ToSystem(), port), localPort);

    public override TcpEndpoint AcceptTcp(string name, SocketName listener) =>
        _listeners.TryGetValue(listener, out var socket)
            ? LinuxTcpEndpoint.Accept(name, _peer, socket, _loop)
            : throw new StepFailedException($"nothing listens on {listener}");

    public override (int ExitCode, string Output, bool TimedOut) Exec(string command, Duration timeout)
    {
        var r = _peer.Namespace.Run(timeout, "/bin/sh", "-c", command);
        return (r.ExitCode, r.Output + r.Error, r.TimedOut);
    }

    /// <summary>Deletes the namespace, which takes the tap and every socket's connections with it.</summary>
    public override void Dispose() => _peer.Dispose();
}
