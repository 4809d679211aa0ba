using Netstack.Harness.Hosts;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Tap;
using Netstack.Drivers.Segments;
using Netstack.Drivers;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>One run of a scenario: the world built from its segments, a driver per host (which owns the sockets,
/// pings and connections steps open on it), the frame log, and the connections steps named. On the virtual wire
/// every host is a stack on the virtual clock. On the tap wire the clock is real and the host the scenario says
/// Linux plays is the kernel, behind a tap bridged onto its segment; the other hosts, the segments and their
/// faults are the same as on the virtual wire.</summary>
public sealed class ScenarioRun : IDisposable
{
    private readonly Dictionary<string, HostDriver> _hosts = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Host, string Segment), VirtualPort> _ports = new();
    private readonly Dictionary<string, TcpEndpoint> _tcp = new(StringComparer.Ordinal);

    /// <param name="loop">The virtual loop when null; a <see cref="RealTimeEventLoop"/> for the tap wire, where the
    /// scenario's Linux host (if any) becomes the kernel in a namespace made for this run.</param>
    /// <param name="hostCaptures">Captures at each host's own port (rx, tx or both), or null.</param>
    public ScenarioRun(Scenario scenario, ulong seed, IFrameSink? captureFile, IEventLoop? loop = null,
        Func<FrameLog, HostCaptures?>? hostCaptures = null)
    {
        Scenario = scenario;
        Log = new FrameLog();
        var world = new WorldBuilder(seed, captureFile is null ? Log : new FanOutSink(Log, captureFile), loop);
        World = world.World;
        _enableIpv6 = world.EnableIpv6;
        World.HostCaptures = hostCaptures?.Invoke(Log);
        try
        {
            Build(world);
        }
        catch
        {
            Dispose();
            throw;
        }
        Log.OnRecorded = Annotate;
    }

    private readonly Action _enableIpv6;

    /// <summary>Brings the hosts up at time zero: IPv6 where they have it, then gratuitous ARP.</summary>
    public void StartWorld()
    {
        _enableIpv6();
        World.Start();
    }

    private void Build(WorldBuilder world)
    {
        foreach (var s in Scenario.Segments)
            world.Segment(s.Name, new SegmentOptions { Latency = s.Latency, BandwidthBitsPerSecond = s.BandwidthBitsPerSecond, Mtu = s.Mtu });
        foreach (var h in Scenario.Hosts)
            _hosts[h.Name] = CreateDriver(h, world);
        foreach (var segment in World.Segments.Values)
            foreach (var port in segment.Ports)
                _ports[(HostOfPort(port), segment.Name)] = port;
        if (Scenario.Faults.Count > 0)
        {
            var hostOfPort = _ports.ToDictionary(p => p.Value, p => p.Key.Host);
            Faults = new Netstack.Harness.Faults.WireFaults(Scenario.Faults, World.ForkRandom, Log, World.Loop, hostOfPort);
            foreach (var segment in World.Segments.Values) segment.Faults = Faults;
        }
    }

    /// <summary>The driver that plays <paramref name="h"/> on this wire: Linux plays its host only on the real clock.</summary>
    private HostDriver CreateDriver(HostSpec h, WorldBuilder world)
    {
        if (h.Scripted) return new ScriptedPeerDriver(h, world, Log);
        if (World.Loop is RealTimeEventLoop realTime)
        {
            if (h.PlayedBy == HostPlayer.Linux)
                return new LinuxHostDriver(h, world, realTime, Log, willPing: Scenario.Steps.OfType<Steps.PingStep>().Any(p => p.From == h.Name));
            if (h.PlayedBy == HostPlayer.External)
                return new ExternalHostDriver(h, world, realTime, Log);
        }
        else if (h.PlayedBy == HostPlayer.External)
            throw new InvalidOperationException($"host '{h.Name}' is played by {h.PlayerTitle}, which runs only on the tap wire");
        return new StackHostDriver(h, world, Log);
    }

    public void Dispose()
    {
        foreach (var driver in _hosts.Values) driver.Dispose();
        _hosts.Clear();
        foreach (var endpoint in _tcp.Values) endpoint.Received.Release();
    }

    /// <summary>Ports are named host.segment by <see cref="Sim.Attach"/>; host names cannot contain dots.</summary>
    private static string HostOfPort(VirtualPort port) => port.Name[..port.Name.IndexOf('.')];

    public Netstack.Harness.Faults.WireFaults? Faults { get; private set; }

    /// <summary>The step being played, so frames it sends synchronously can say so in the recording. Setting it to
    /// a step that causes a particular frame (<see cref="Steps.ActionStep.Cause"/>) starts waiting for that frame.</summary>
    public Steps.Step? CurrentStep
    {
        get => _currentStep;
        set
        {
            _currentStep = value;
            _currentStepComment = null;
            _currentCause = (value as Steps.ActionStep)?.Cause;
            if (_currentCause is { } cause) _pendingCauses.Add((cause, StepComment(value!), cause.Count));
        }
    }

    private Steps.Step? _currentStep;
    /// <summary>The current step's comment, made once for all the frames it sends (a tcp-send writes a window's worth).</summary>
    private string? _currentStepComment;
    private FrameCause? _currentCause;
    /// <summary>Frames steps caused that have not gone out yet, oldest step first.</summary>
    private readonly List<(FrameCause Cause, string Comment, int Remaining)> _pendingCauses = new();

    private static string StepComment(Steps.Step step) => $"step {step.Location.Line}:{step.Location.Column} {step.Describe()}";

    /// <summary>The step comment goes on the frame the step caused (the SYN of a tcp-connect, even when it leaves
    /// after ARP); frames sent while a step runs that it did not cause say what they were for.</summary>
    private void Annotate(CapturedFrame frame)
    {
        if (CurrentStep is { } step)
        {
            if (_currentCause is not { } cause) frame.Step = _currentStepComment ??= StepComment(step);
            else if (FrameCause.IsArp(frame)) frame.Step = $"ARP for {cause.Keyword} at line {step.Location.Line}";
        }
        for (int i = 0; i < _pendingCauses.Count; i++)
        {
            var (pending, comment, remaining) = _pendingCauses[i];
            if (pending.Host != frame.Host || !pending.Matches(frame)) continue;
            frame.Step = comment;
            if (remaining > 1) _pendingCauses[i] = (pending, comment, remaining - 1);
            else _pendingCauses.RemoveAt(i);
            break;
        }
        // Links are almost always all up: one pass over the ports spares a look-up by host and segment name (two
        // string hashes) and the scan of every host's interfaces for every frame.
        if (frame.Segment is not { } segment || !AnyLinkDown()) return;
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

    private bool AnyLinkDown()
    {
        foreach (var port in _ports.Values)
            if (!port.IsUp) return true;
        return false;
    }

    /// <summary>Brings a host's ports up or down (all of them, or the one on <paramref name="segment"/>).</summary>
    public void SetLink(string host, string? segment, bool up)
    {
        foreach (var ((h, s), port) in _ports)
            if (h == host && (segment is null || s == segment))
                port.IsUp = up;
    }

    public Scenario Scenario { get; }
    public World World { get; }
    public FrameLog Log { get; }
    public Instant Now => World.Now;

    /// <summary>True on the tap wire: the clock is real, so measured times get <see cref="RealWireTolerance"/>.</summary>
    public bool IsRealTime => !World.Loop.IsVirtual;

    /// <summary>How far a time measured over <paramref name="interval"/> may stray: 0 on the virtual wire;
    /// on the real wire, also by the longest stall of our own loop measured so far (<see cref="HarnessStall"/>).</summary>
    public Duration Tolerance(Duration interval) =>
        IsRealTime ? RealWireTolerance.For(interval) + RealWireTolerance.ForStall(HarnessStall) : Duration.Zero;

    /// <summary>The longest our own real-time loop has run its timers late in this run (plus the measure's resolution).</summary>
    public Duration HarnessStall => (World.Loop as RealTimeEventLoop)?.Lateness.StallDuring(Instant.Zero, Instant.MaxValue) ?? Duration.Zero;

    /// <summary>The driver playing <paramref name="name"/>: steps act on a host through it.</summary>
    public HostDriver Host(string name) =>
        _hosts.TryGetValue(name, out var driver) ? driver : throw new StepFailedException($"host '{name}' has no stack");

    /// <summary>The driver owning the socket <paramref name="name"/>.</summary>
    public HostDriver Host(SocketName name) => Host(name.Host);

    public void ConnectTcp(string name, string host, Netstack.Wire.IpAddress address, ushort port, ushort localPort) =>
        _tcp[name] = Host(host).ConnectTcp(name, address, port, localPort);

    public void AcceptTcp(string name, SocketName listener) => _tcp[name] = Host(listener).AcceptTcp(name, listener);

    /// <summary>The connection a step named, brought up to date.</summary>
    public TcpEndpoint Tcp(string name)
    {
        var endpoint = _tcp.TryGetValue(name, out var e) ? e : throw new StepFailedException($"no connection named {name}");
        endpoint.Poll();
        return endpoint;
    }

    /// <summary>Our stacks, for totals across a run (retransmissions).</summary>
    public IEnumerable<NetworkStack> Stacks => World.Hosts.Values;
}

/// <summary>A step could not be carried out (socket already bound, time went backwards): the scenario fails
/// with this message at the step's location.</summary>
public sealed class StepFailedException(string message) : Exception(message);
