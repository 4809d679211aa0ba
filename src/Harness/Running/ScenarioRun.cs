using Netstack.Api;
using Netstack.Harness.Linux;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Link;
using Netstack.Network;
using Netstack.Simulation.Capture;
using Netstack.Simulation.Loop;
using Netstack.Simulation.Tap;
using Netstack.Simulation.Wire;
using Sim = Netstack.Simulation.Simulation;

namespace Netstack.Harness.Running;

/// <summary>One run of a scenario: the world built from its hosts and segments, the frame log, and the
/// application state steps act on (sockets by <c>host:port</c>, pings asked of each host). On the virtual wire
/// every host is a stack on the virtual clock. On the tap wire the clock is real and the host the scenario says
/// Linux plays is the kernel, behind a tap bridged onto its segment; the other hosts, the segments and their
/// faults are the same as on the virtual wire.</summary>
public sealed class ScenarioRun : IDisposable
{
    private readonly Dictionary<SocketName, UdpSocket> _udp = new();
    private readonly Dictionary<SocketName, Queue<UdpReceiveResult>> _received = new();
    private readonly Dictionary<string, int> _pingsExpected = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Host, string Segment), VirtualPort> _ports = new();

    private LinuxPeer? _linux;

    /// <param name="loop">The virtual loop when null; a <see cref="RealTimeEventLoop"/> for the tap wire, where the
    /// scenario's Linux host (if any) becomes the kernel in a namespace made for this run.</param>
    public ScenarioRun(Scenario scenario, ulong seed, IFrameSink? captureFile, IEventLoop? loop = null)
    {
        Scenario = scenario;
        Log = new FrameLog();
        Simulation = new Sim(seed, captureFile is null ? Log : new FanOutSink(Log, captureFile), loop);
        try
        {
            Build(scenario);
        }
        catch
        {
            Dispose();
            throw;
        }
        Log.OnRecorded = Annotate;
    }

    private void Build(Scenario scenario)
    {
        foreach (var s in scenario.Segments)
            Simulation.AddSegment(s.Name, new SegmentOptions { Latency = s.Latency, BandwidthBitsPerSecond = s.BandwidthBitsPerSecond, Mtu = s.Mtu });
        foreach (var h in scenario.Hosts)
        {
            if (h.Scripted)
            {
                AddScriptedPeer(h);
                continue;
            }
            if (h.PlayedByLinux && Simulation.Loop is RealTimeEventLoop realTime)
            {
                AddLinuxPeer(scenario, h, realTime);
                continue;
            }
            var options = new StackOptions
            {
                Arp = new ArpOptions { SendGratuitousOnStart = h.GratuitousArp },
                Ipv4 = new Ipv4Options { Forwarding = h.Forwarding, DefaultTimeToLive = h.TimeToLive ?? 64 },
            };
            var stack = Simulation.AddHost(h.Name, options);
            foreach (var i in h.Interfaces)
            {
                Simulation.Attach(stack, Simulation.Segments[i.Segment], i.Mac, i.Address, i.Mtu);
                Log.MapSegment(i.Mac, i.Segment);
            }
            foreach (var r in h.Routes)
                stack.AddRoute(r.Prefix, r.Gateway);
        }
        foreach (var segment in Simulation.Segments.Values)
            foreach (var port in segment.Ports)
                _ports[(HostOfPort(port), segment.Name)] = port;
        if (scenario.Faults.Count > 0)
        {
            var hostOfPort = _ports.ToDictionary(p => p.Value, p => p.Key.Host);
            Faults = new Netstack.Harness.Faults.WireFaults(scenario.Faults, Simulation.ForkRandom, Log, Simulation.Loop, hostOfPort);
            foreach (var segment in Simulation.Segments.Values) segment.Faults = Faults;
        }
    }

    /// <summary>The kernel's tap, bridged to a port of the host's segment: what the kernel sends enters the segment
    /// as the host's frames (recorded as such, subject to the segment's latency and faults), and what the segment
    /// delivers to that port is written to the tap.</summary>
    private void AddLinuxPeer(Scenario scenario, HostSpec h, RealTimeEventLoop loop)
    {
        var i = h.Interfaces[0];
        var segment = Simulation.Segments[i.Segment];
        _linux = LinuxPeer.Create(h, loop, segment.Options.Mtu);
        Netstack.Link.ILink port = segment.Connect($"{h.Name}.{i.Segment}");
        if (Simulation.Capture is { } sink)
            port = new CaptureLink(port, loop, sink, h.Name, CaptureDirections.Outbound);
        _ = new Netstack.Simulation.Tap.FrameForwarder(_linux.Tap, port);
        Log.MapSegment(i.Mac, i.Segment);
        // Opening the raw socket takes a while: do it now, not when the first ping is due.
        if (scenario.Steps.OfType<Steps.PingStep>().Any(p => p.From == h.Name)) LinuxPinger();
    }

    private bool IsLinux(string host) => _linux is { } l && l.Host.Name == host;

    public void Dispose()
    {
        _linux?.Dispose();
        _linux = null;
    }

    private readonly Dictionary<(string Host, string Segment), Netstack.Link.ILink> _peerLinks = new();

    /// <summary>A scripted peer is a bare port on its segment, recorded like any host; what reaches it is ignored.</summary>
    private void AddScriptedPeer(HostSpec h)
    {
        foreach (var i in h.Interfaces)
        {
            Netstack.Link.ILink link = Simulation.Segments[i.Segment].Connect($"{h.Name}.{i.Segment}");
            if (Simulation.Capture is { } sink)
                link = new CaptureLink(link, Simulation.Loop, sink, h.Name, CaptureDirections.Outbound);
            link.Attach(IgnoredFrames.Instance);
            _peerLinks[(h.Name, i.Segment)] = link;
            Log.MapSegment(i.Mac, i.Segment);
        }
    }

    /// <summary>Sends a frame from a scripted peer onto its segment.</summary>
    public void Inject(string host, string segment, byte[] frame) => _peerLinks[(host, segment)].Transmit(frame);

    private sealed class IgnoredFrames : Netstack.Link.IFrameReceiver
    {
        public static readonly IgnoredFrames Instance = new();
        public void ReceiveFrame(ReadOnlySpan<byte> frame) { }
    }

    /// <summary>Ports are named host.segment by <see cref="Sim.Attach"/>; host names cannot contain dots.</summary>
    private static string HostOfPort(VirtualPort port) => port.Name[..port.Name.IndexOf('.')];

    public Netstack.Harness.Faults.WireFaults? Faults { get; private set; }

    /// <summary>The step being played, so frames it sends synchronously can say so in the recording.</summary>
    public Steps.Step? CurrentStep { get; set; }

    private void Annotate(Trace.CapturedFrame frame)
    {
        if (CurrentStep is { } step)
            frame.Step = $"step {step.Location.Line}:{step.Location.Column} {step.Describe()}";
        if (frame.Segment is not { } segment) return;
        if (_ports.TryGetValue((frame.Host, segment), out var port) && !port.IsUp)
        {
            frame.Notes.Add($"lost: {frame.Host}'s link on {segment} is down");
            return;
        }
        // Receivers whose link is down lose their copy (judged now; the copy is lost on arrival).
        var destination = frame.Destination;
        foreach (var host in Scenario.Hosts)
        {
            if (host.Name == frame.Host) continue;
            foreach (var i in host.Interfaces)
                if (i.Segment == segment && (destination.IsMulticast || i.Mac == destination) &&
                    _ports.TryGetValue((host.Name, segment), out var to) && !to.IsUp)
                    frame.Notes.Add($"lost toward {host.Name}: its link on {segment} is down");
        }
    }

    /// <summary>Brings a host's ports up or down (all of them, or the one on <paramref name="segment"/>).</summary>
    public void SetLink(string host, string? segment, bool up)
    {
        foreach (var ((h, s), port) in _ports)
            if (h == host && (segment is null || s == segment))
                port.IsUp = up;
    }

    public Scenario Scenario { get; }
    public Sim Simulation { get; }
    public FrameLog Log { get; }
    public long Now => Simulation.Now.Nanoseconds;

    /// <summary>True on the tap wire: the clock is real, so measured times get <see cref="RealWireTolerance"/>.</summary>
    public bool IsRealTime => !Simulation.Loop.IsVirtual;

    /// <summary>How far a time measured over <paramref name="intervalNanoseconds"/> may stray: 0 on the virtual wire;
    /// on the real wire, also by the longest stall of our own loop measured so far (<see cref="HarnessStall"/>).</summary>
    public long Tolerance(long intervalNanoseconds) =>
        IsRealTime ? RealWireTolerance.For(intervalNanoseconds) + RealWireTolerance.ForStall(HarnessStall) : 0;

    /// <summary>The longest our own real-time loop has run its timers late in this run (plus the measure's resolution).</summary>
    public long HarnessStall => (Simulation.Loop as RealTimeEventLoop)?.Lateness.StallDuring(0, long.MaxValue) ?? 0;

    /// <summary>The stack of a host, for steps that call its API.</summary>
    public NetworkStack Host(string name) =>
        Simulation.Hosts.TryGetValue(name, out var stack) ? stack
        : IsLinux(name) ? throw new StepFailedException($"host '{name}' is played by Linux on this wire: this step needs one of our stacks")
        : throw new StepFailedException($"host '{name}' has no stack");

    private LinuxPinger? _linuxPinger;

    /// <summary>Sends one echo request from <paramref name="host"/> (through our ping API, or the kernel's raw ICMP
    /// socket when Linux plays the host).</summary>
    public void SendPing(string host, Netstack.Wire.Ipv4Address to, int size, TimeSpan timeout, byte? timeToLive, bool dontFragment)
    {
        if (IsLinux(host))
        {
            LinuxPinger().Send(to, size, timeout, timeToLive, dontFragment);
            return;
        }
        _ = Host(host).Ping.PingAsync(to, size, timeout, timeToLive, dontFragment);
    }

    // The identifier follows the seed (not the process id, as ping(8) has it), so reruns read alike.
    private LinuxPinger LinuxPinger() =>
        _linuxPinger ??= new LinuxPinger(_linux!, Simulation.Loop, (ushort)(Simulation.Seed * 0x9E37 + 0x6F5));

    /// <summary>The completed pings of <paramref name="host"/>, in completion order.</summary>
    public IReadOnlyList<PingReply> PingResults(string host) =>
        IsLinux(host) ? (IReadOnlyList<PingReply>?)_linuxPinger?.Results ?? [] : Host(host).Ping.Results;

    public void ExpectPings(string host, int count) =>
        _pingsExpected[host] = PingsExpected(host) + count;

    /// <summary>How many pings steps have asked <paramref name="host"/> to send so far.</summary>
    public int PingsExpected(string host) => _pingsExpected.GetValueOrDefault(host);

    private readonly Dictionary<SocketName, LinuxUdpSocket> _linuxUdp = new();

    public void BindUdp(SocketName name)
    {
        if (_udp.ContainsKey(name) || _linuxUdp.ContainsKey(name)) throw new StepFailedException($"{name} is already bound");
        if (IsLinux(name.Host))
        {
            _linuxUdp[name] = new LinuxUdpSocket(_linux!, Simulation.Loop, name.Port);
            return;
        }
        var socket = Host(name.Host).Udp.Bind(name.Port);
        _udp[name] = socket;
        _received[name] = new Queue<UdpReceiveResult>();
    }

    /// <summary>One of our stacks' sockets (for its ICMP error queue, which a Linux socket's is not read from).</summary>
    public UdpSocket UdpSocket(SocketName name)
    {
        if (_udp.TryGetValue(name, out var s)) return s;
        if (_linuxUdp.ContainsKey(name))
            throw new StepFailedException($"{name} is a socket of the host Linux plays: its ICMP error queue is not read");
        throw new StepFailedException($"no socket {name} is bound (add a udp-bind step before this one)");
    }

    /// <summary>Sends a datagram from <paramref name="from"/>, binding it first if no step did.</summary>
    public void SendUdp(SocketName from, Netstack.Wire.Ipv4Address to, ushort port, byte[] payload)
    {
        if (!_udp.ContainsKey(from) && !_linuxUdp.ContainsKey(from)) BindUdp(from);
        if (_linuxUdp.TryGetValue(from, out var linux)) linux.SendTo(payload, to, port);
        else _udp[from].SendTo(payload, to, port);
    }

    /// <summary>How many datagrams a socket has received and what error waits on it, for reports.</summary>
    public string DescribeUdp(SocketName name)
    {
        if (_linuxUdp.TryGetValue(name, out var linux)) return $"{linux.DatagramsReceived} received in all";
        var socket = UdpSocket(name);
        return $"{socket.DatagramsReceived} received in all" +
               (socket.PendingErrors.Count > 0 ? $"; pending error: {socket.PendingErrors.First()}" : "");
    }

    private readonly Dictionary<SocketName, Netstack.Api.TcpListener> _listeners = new();
    private readonly Dictionary<SocketName, System.Net.Sockets.Socket> _linuxListeners = new();
    private readonly Dictionary<string, TcpEndpoint> _tcp = new(StringComparer.Ordinal);

    public void ListenTcp(SocketName name, int backlog)
    {
        if (_listeners.ContainsKey(name) || _linuxListeners.ContainsKey(name)) throw new StepFailedException($"{name} is already listening");
        if (IsLinux(name.Host))
        {
            var socket = _linux!.OpenSocket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Any, name.Port));
            socket.Listen(backlog > 0 ? backlog : 128);
            _linuxListeners[name] = socket;
            return;
        }
        _listeners[name] = Host(name.Host).ListenTcp(name.Port, backlog);
    }

    public void ConnectTcp(string name, string host, Netstack.Wire.Ipv4Address address, ushort port, ushort localPort)
    {
        if (IsLinux(host))
        {
            _tcp[name] = LinuxTcpEndpoint.Connect(name, _linux!, Simulation.Loop, new System.Net.IPEndPoint(address.ToSystem(), port), localPort);
            return;
        }
        var stack = Host(host);
        var before = stack.Tcp.Connections.ToHashSet();
        var endpoint = new StackTcpEndpoint(name, host, Simulation.Loop) { Opening = stack.ConnectTcpAsync(address, port, localPort) };
        // The connection exists as soon as the SYN is sent; find it so its state can be checked before it is up.
        endpoint.Connection = stack.Tcp.Connections.FirstOrDefault(c => !before.Contains(c));
        if (endpoint.Opening.IsFaulted)
            throw new StepFailedException($"connect failed at once: {endpoint.Opening.Exception!.InnerException!.Message}");
        _tcp[name] = endpoint;
    }

    public void AcceptTcp(string name, SocketName listener)
    {
        if (_linuxListeners.TryGetValue(listener, out var socket))
        {
            _tcp[name] = LinuxTcpEndpoint.Accept(name, _linux!, socket, Simulation.Loop);
            return;
        }
        if (!_listeners.TryGetValue(listener, out var l)) throw new StepFailedException($"nothing listens on {listener}");
        _tcp[name] = new StackTcpEndpoint(name, listener.Host, Simulation.Loop) { Opening = l.AcceptAsync() };
    }

    public TcpEndpoint Tcp(string name)
    {
        var endpoint = _tcp.TryGetValue(name, out var e) ? e : throw new StepFailedException($"no connection named {name}");
        endpoint.Poll();
        return endpoint;
    }

    /// <summary>Datagrams received on a socket and not yet matched by an expectation, oldest first.</summary>
    public Queue<UdpReceiveResult> Received(SocketName name)
    {
        if (_linuxUdp.TryGetValue(name, out var linux)) return linux.Received;
        var socket = UdpSocket(name);
        var queue = _received[name];
        while (socket.TryReceiveFrom(out var r)) queue.Enqueue(r);
        return queue;
    }
}

/// <summary>A step could not be carried out (socket already bound, time went backwards): the scenario fails
/// with this message at the step's location.</summary>
public sealed class StepFailedException(string message) : Exception(message);
