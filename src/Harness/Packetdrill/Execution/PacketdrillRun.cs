using System.Buffers.Binary;
using System.Globalization;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Link;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>One execution of a packetdrill script on our stack, on the virtual wire in virtual time. The stack is
/// packetdrill's "local" host; the "remote" is a scripted peer on the same segment that answers ARP for every other
/// address (so no ARP dance appears in scripts) and injects the <c>&lt;</c> lines. Every IPv4 packet the stack sends
/// goes into a queue; each <c>&gt;</c> line takes the first one and compares it, in its time window (packetdrill's
/// rule: an unexpected packet fails the next <c>&gt;</c> line, and one left at the end fails the script).
/// System calls run on <see cref="SocketTable"/>; one that blocks is polled after every event on the loop while the
/// script goes on, as packetdrill's syscall thread lets it.</summary>
public sealed class PacketdrillRun : IDisposable
{
    public static readonly MacAddress LocalMac = MacAddress.Parse("02:00:00:00:00:01");
    public static readonly MacAddress PeerMac = MacAddress.Parse("02:00:00:00:00:02");

    private readonly ScriptAnalysis _analysis;
    private readonly IEventLoop _loop;
    private readonly NetworkStack? _stack;
    private readonly Netstack.Harness.Linux.LinuxPeer? _kernel;
    private readonly Netstack.Harness.Linux.ExternalStackHost? _external;
    private readonly MacAddress _localMac = LocalMac;
    private readonly ILink _peer;
    private readonly ISocketModel _sockets;
    private readonly ConnectionNumbering _numbers = new();
    private readonly Queue<(long Micros, byte[] Frame)> _sent = new();
    private readonly List<PendingCall> _pending = [];
    private readonly ScriptAddresses _addresses;
    private readonly ScriptIpLayer _ip;
    private readonly IpAddress _local, _remote;
    private readonly Ipv4Address _localIpv4;
    private readonly ushort _bindPort;

    private sealed record PendingCall(AnalyzedEvent Event, SyscallLine Call, SocketTable.Pending Poll);

    private readonly bool _anyOptionLayout;

    /// <summary>The real-time loop's own lateness (null on the virtual wire, where time is exact).</summary>
    private readonly Netstack.Drivers.Tap.LatenessMeter? _lateness;

    /// <summary>How long our own loop stalled between the event before the failing line and the failure (0 when it
    /// kept time, or on the virtual wire): a failure with a stall is inconclusive, as for YAML scenarios.</summary>
    public Duration StallAtFailure { get; private set; }

    /// <summary>Our loop's measured stall between two script times (µs, packetdrill's unit), as the allowance it earns
    /// (<see cref="Running.RealWireTolerance.ForStall"/>), in µs; 0 on the virtual wire.</summary>
    private long StallAllowanceMicros(long fromMicros, long toMicros) =>
        _lateness is null ? 0
            : Running.RealWireTolerance.ForStall(_lateness.StallDuring(AtMicros(fromMicros), AtMicros(toMicros))).Nanoseconds / Duration.NanosecondsPerMicrosecond;

    private long _windowStartMicros;

    /// <param name="anyOptionLayout">Compare which TCP options were sent, not their order and padding (measurement).</param>
    /// <param name="realTime">The tap wire: the kernel in a namespace made for the run is the local host, on this real-time loop.</param>
    public PacketdrillRun(ScriptAnalysis analysis, ulong seed, IFrameSink? capture, bool anyOptionLayout = false,
        Netstack.Drivers.Tap.RealTimeEventLoop? realTime = null, PacketdrillPlayer? external = null,
        Netstack.Transport.Tcp.TcpPersonality personality = Netstack.Transport.Tcp.TcpPersonality.Rfc)
    {
        _anyOptionLayout = anyOptionLayout;
        _analysis = analysis;
        _lateness = realTime?.Lateness;
        var script = analysis.Script;
        _addresses = ScriptAddresses.Of(script);
        _ip = new ScriptIpLayer(_addresses);
        (_local, _remote) = (_addresses.Local, _addresses.Remote);
        // IPv4 stays configured under --ip_version=ipv6 (a dual-stack host, as packetdrill's); IPv6 is added to it.
        var local4 = _local.IsIpv4 ? _local.Ipv4 : Ipv4Address.Parse("192.168.0.1");
        _localIpv4 = local4;
        _bindPort = Port(script, "bind_port", 8080);
        ushort connectPort = Port(script, "connect_port", 8080);
        Log = new FrameLog();
        var world = new WorldBuilder(seed, capture is null ? Log : new FanOutSink(Log, capture), realTime);
        // On the tap wire the kernel's TSO segments (up to 64 KB) cross the segment whole, as on packetdrill's tun.
        // packetdrill's --mtu is the local device's MTU (the wire then carries frames of any size up to it).
        int? mtu = int.TryParse(script.Option("mtu")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var m) ? m : null;
        world.Segment("wire", realTime is null && mtu is null ? null : new Netstack.Drivers.Segments.SegmentOptions { Mtu = 65535 });
        // packetdrill's tun: the local host is 192.168.0.1/16 and reaches the remote through gateway 192.168.0.2;
        // the peer answers ARP for any address but the local host's, so either layout works.
        if (external is not null) _localMac = external.Mac(local4, LocalMac);
        var localInterface = new InterfaceSpec("wire", _localMac, new Ipv4Cidr(local4, 16), mtu)
        {
            Ipv6 = _addresses.WireIsIpv6 ? new Ipv6Cidr(_local.Ipv6, _addresses.PrefixLength) : null,
        };
        var gateway4 = _addresses.Gateway.IsIpv4 ? _addresses.Gateway.Ipv4 : Gateway(local4);
        var defaultRoute = new RouteSpec(new Ipv4Cidr(Ipv4Address.Any, 0), gateway4, new SourceLocation(script.File, 1, 1));
        if (external is not null)
        {
            // An external process plays the local host: its own tap, bridged onto the wire as a kernel's would be.
            var realClock = realTime ?? throw new ArgumentException("an external local host runs on the real clock", nameof(realTime));
            if (_addresses.WireIsIpv6)
                throw new InvalidOperationException($"{external.Location}: played-by {external.Name}: external hosts are set up with IPv4 only; --ip_version=ipv6 is not run there");
            if (external.Problem(_localMac, localInterface.Address) is { } problem)
                throw new InvalidOperationException($"{external.Location}: played-by {external.Name}: {problem}");
            _external = Netstack.Harness.Linux.ExternalStackHost.Start(external.Spec(_localMac, localInterface.Address, mtu ?? 1500, gateway4), realClock);
            Hosts.HostDriver.BridgeToSegment(world, "local", localInterface, _external.Tap, Log);
        }
        else if (realTime is null)
            _stack = world.AddHost("local", new StackOptions
                {
                    Arp = new ArpOptions { SendGratuitousOnStart = false },
                    Tcp = Netstack.Transport.Tcp.TcpSettings.ForPersonality(personality),
                    // packetdrill's tun: the address is usable at once, no router or multicast chatter to script around.
                    Ipv6 = new Netstack.Network.Ipv6.Ipv6Options
                        { DuplicateAddressDetectTransmits = 0, AcceptRouterAdvertisements = false, SendMldReports = false },
                },
                [localInterface], [defaultRoute]);
        else
        {
            // packetdrill's tun: the address is usable at once (nodad), as on our stack above.
            var spec = new HostSpec("local", [localInterface], [defaultRoute], false, false, null, new SourceLocation(script.File, 1, 1))
                { DuplicateAddressDetection = false };
            // Named tun0 as packetdrill's device, which scripts' shell commands name (ethtool -K tun0, tc qdisc ... tun0).
            _kernel = Netstack.Harness.Linux.LinuxPeer.Create(spec, realTime, mtu ?? 1500, "tun0", offload: true);
            // packetdrill's tun has no ARP: a permanent neighbour entry for the gateway keeps the kernel's first
            // segment from waiting for an ARP round trip (our peer still answers ARP for anything else).
            // packetdrill routes the remote address through its device by its own entry, which scripts change
            // (`ip route change 192.0.2.1 via 192.168.0.2 dev tun0 advmss 600`, `ip -6 route change 2001:DB8::1 ...`).
            string family = _addresses.WireIsIpv6 ? "-6" : "-4";
            _kernel.Namespace.MustRun("ip", family, "neigh", "replace", _addresses.Gateway.ToString(), "lladdr", PeerMac.ToString(),
                "dev", "tun0", "nud", "permanent");
            // onlink: a --local_ip outside the gateway's prefix (gtests' `--local_ip=fd::1`) still reaches it on tun0.
            _kernel.Namespace.MustRun("ip", [family, "route", "replace", $"{_remote}/{(_remote.IsIpv4 ? 32 : 128)}", "via",
                _addresses.Gateway.ToString(), "dev", "tun0", .. (_addresses.WireIsIpv6 ? new[] { "onlink" } : [])]);
            Hosts.HostDriver.BridgeToSegment(world, "local", localInterface, _kernel.Tap, Log);
        }
        Log.MapSegment(_localMac, "wire"); // our stack's frames (a bridged tap's are mapped by BridgeToSegment)
        Log.MapSegment(PeerMac, "wire");
        var sim = world.World;
        _loop = sim.Loop;
        ILink link = sim.Segments["wire"].Connect("remote.wire");
        if (sim.Capture is { } sink) link = new CaptureLink(link, sim.Loop, sink, "remote", CaptureDirections.Outbound);
        link.Attach(new PeerReceiver(this));
        _peer = link;
        _numbers.LocalPort = _bindPort;
        _numbers.RemotePort = FirstRemotePort;
        _sockets = _stack is not null ? new SocketTable(_stack, _remote, _bindPort, connectPort)
            : _kernel is not null ? new KernelSocketTable(_kernel, _remote, _bindPort, connectPort) { Ipv6Sockets = _addresses.SocketsAreIpv6 }
            : new NoSocketApi(); // an external host: LoadedScript refused every system call with its line
        world.Start();
        if (_stack is not null && _addresses.WireIsIpv6) _stack.AddDefaultGateway(_addresses.Gateway.Ipv6);
    }

    public FrameLog Log { get; }
    /// <summary>Our stack (null on the tap wire, where the kernel is the local host).</summary>
    public NetworkStack? Stack => _stack;
    public long NowMicros => MicrosOf(_loop.Now);

    /// <summary>A script time: packetdrill counts in whole microseconds, which the runner keeps as it parsed them
    /// and turns into the loop's <see cref="Instant"/> here.</summary>
    private static Instant AtMicros(long micros) => new(micros * Duration.NanosecondsPerMicrosecond);
    private static long MicrosOf(Instant time) => time.Nanoseconds / Duration.NanosecondsPerMicrosecond;

    /// <summary>The failures, each a report starting <c>file:line:col:</c>; empty when the script passed.</summary>
    public List<string> Failures { get; } = [];

    /// <summary>Python blocks and shell commands that were not run: counted and listed, never passed.</summary>
    public List<string> Skipped { get; } = [];

    public void Dispose()
    {
        (_sockets as IDisposable)?.Dispose();
        _kernel?.Dispose();
        _external?.Dispose();
    }

    private sealed class NoSocketApi : ISocketModel
    {
        public SyscallOutcome? Execute(SyscallLine call, out SocketTable.Pending? pending) =>
            throw new InvalidOperationException($"{call.Location}: {call.Name}() cannot run on an external host");
    }

    private static ushort Port(PacketdrillScript script, string option, ushort fallback) =>
        ushort.TryParse(script.Option(option)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : fallback;

    private static Ipv4Address Gateway(Ipv4Address local) => new((local.Value & 0xFFFF0000u) | 2u);

    /// <summary>Plays every event; stops at the first failure (as packetdrill does).</summary>
    public void Play()
    {
        // On the real clock a kernel socket becomes ready without an event of ours: look at blocked calls every ms.
        var ticker = _kernel is not null ? new Ticker(_loop, PollPending) : null;
        try
        {
            if (_kernel is not null && _analysis.Script.InitCommand is { } init && !RunInNamespace(init)) return;
            PlayEvents();
            if (_kernel is not null) RunPython();
            if (_kernel is not null && _analysis.Script.CleanupCommand is { } cleanup) RunInNamespace(cleanup);
        }
        finally
        {
            if (ticker is not null) ticker.Stopped = true;
        }
    }

    private sealed class Ticker : IScheduledAction
    {
        private readonly IEventLoop _loop;
        private readonly Action _tick;

        public Ticker(IEventLoop loop, Action tick)
        {
            (_loop, _tick) = (loop, tick);
            _loop.Schedule(_loop.Now + Duration.FromMilliseconds(1), this, 0);
        }

        public bool Stopped { get; set; }

        public void Run(long token)
        {
            if (Stopped) return;
            _tick();
            _loop.Schedule(_loop.Now + Duration.FromMilliseconds(1), this, 0);
        }

        public bool IsCurrent(long token) => !Stopped;
    }

    private void PlayEvents()
    {
        long lastActual = 0, lastScript = 0;
        foreach (var e in _analysis.Events)
        {
            long previousActual = lastActual;
            _windowStartMicros = previousActual;
            var time = e.Event.Time;
            long start = e.Anchor switch
            {
                TimeAnchor.Absolute => time.Micros,
                TimeAnchor.PreviousScriptTime => lastScript + time.Micros,
                TimeAnchor.Any => lastActual,
                _ => lastActual + time.Micros,
            };
            long? end = e.ScriptEndMicros is null ? null
                : e.Anchor == TimeAnchor.Absolute || time.Kind == EventTimeKind.AbsoluteRange ? e.ScriptEndMicros
                : start + (e.ScriptEndMicros.Value - e.ScriptMicros);
            long actual;
            try
            {
                actual = e.Event.Action switch
                {
                    PacketLine { Direction: PacketDirection.Inbound } inbound => Inject(e, inbound, start),
                    PacketLine outbound => Expect(e, outbound, start, end, previousActual),
                    SyscallLine call => Call(e, call, start, end, previousActual),
                    ShellCommand shell when _kernel is not null => Shell(e, shell, start),
                    ShellCommand shell => Skip(e, start, $"shell command `{shell.Command}` not run on our stack"),
                    PythonBlock python when _kernel is not null => CollectPython(e, python, start),
                    PythonBlock => Skip(e, start, "Python %{ }% assertion skipped"),
                    _ => throw new SyscallModelException($"{e.Event.Action.GetType().Name} cannot be executed"),
                };
            }
            catch (SyscallModelException x)
            {
                Fail(e.Location, x.Message);
                actual = -1;
            }
            if (Failures.Count > 0) return;
            lastActual = actual;
            lastScript = start;
        }
        Finish(lastActual);
    }

    /// <summary>On the tap wire a backtick command runs in the kernel's namespace, from the script's folder.</summary>
    private long Shell(AnalyzedEvent e, ShellCommand shell, long at)
    {
        RunTo(at);
        RunInNamespace(shell);
        return NowMicros;
    }

    private bool RunInNamespace(ShellCommand shell)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(_analysis.Script.File))!;
        // packetdrill's commands see its pid (gtests' set_sysctls.py names its restore file after it).
        var result = _kernel!.Namespace.Run(Duration.FromSeconds(20), "sh", "-c",
            $"cd '{folder}' && export PACKETDRILL_PID={Environment.ProcessId} && {shell.Command}");
        if (result.ExitCode == 0) return true;
        Fail(shell.Location, $"shell command failed (exit {result.ExitCode}): {(result.Error + result.Output).Trim()}");
        return false;
    }

    /// <summary>Python fragments collected on the tap wire, each after the TCP_INFO values of its moment; run
    /// together by python3 when the script is over, as packetdrill runs them.</summary>
    private readonly System.Text.StringBuilder _python = new();

    private long CollectPython(AnalyzedEvent e, PythonBlock block, long at)
    {
        RunTo(at);
        if ((_sockets as KernelSocketTable)?.TcpInfoUnderTest() is not { } info)
            throw new SyscallModelException("no socket to use for the Python block");
        _python.Append(TcpInfoFields.PythonAssignments(info)).Append('\n')
            .Append("_file = '").Append(_analysis.Script.File.Replace("'", "\\'")).Append("'\n")
            .Append("_line = ").Append(e.Location.Line).Append('\n')
            .Append(Dedent(block.Code)).Append("\n\n");
        return NowMicros;
    }

    /// <summary>The block's lines without the indentation they share, so Python reads them at top level.</summary>
    private static string Dedent(string code)
    {
        var lines = code.Replace("\r", "").Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Trim().Length == 0 ? "" : l[indent..])).Trim('\n');
    }

    /// <summary>Runs the collected fragments with python3 (packetdrill's preamble reports the script line of a
    /// failed assertion); a non-zero exit fails the script.</summary>
    private void RunPython()
    {
        if (_python.Length == 0 || Failures.Count > 0) return;
        var path = Path.Combine(Path.GetTempPath(), $"harness-pkt-{Environment.ProcessId}-{Guid.NewGuid():N}.py");
        const string preamble = "import sys\nimport traceback\ndef excepthook(etype, value, tb):\n" +
                                "  sys.stderr.write('%s:%d: error in Python code\\n' % (_file, _line))\n" +
                                "  traceback.print_exception(etype, value, tb)\n\nsys.excepthook = excepthook\n\n";
        File.WriteAllText(path, preamble + _python);
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("python3", [path])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                var lines = (error.Result + output).Trim().Split('\n');
                var where = lines.FirstOrDefault(l => l.Contains(": error in Python code", StringComparison.Ordinal));
                var location = _analysis.Script.Events.Select(ev => ev.Action.Location)
                    .FirstOrDefault(l => where is not null && where.StartsWith($"{_analysis.Script.File}:{l.Line}:", StringComparison.Ordinal));
                Fail(location == default ? new SourceLocation(_analysis.Script.File, 1, 1) : location,
                    $"Python assertion failed: {lines.LastOrDefault(l => l.Trim().Length > 0)?.Trim()}");
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            Fail(new SourceLocation(_analysis.Script.File, 1, 1), "python3 is needed to run the script's %{ }% blocks on the tap wire");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private long Skip(AnalyzedEvent e, long at, string what)
    {
        RunTo(at);
        Skipped.Add($"{e.Location}: {what}");
        return at;
    }

    /// <summary>The script is over: blocked calls must have returned, and the stack must have sent nothing more.</summary>
    private void Finish(long end)
    {
        RunTo(end);
        // A call still blocked may be due to return after the last line: give it until its end time.
        foreach (var due in _pending.Select(p => _pendingEnds[p]).OfType<long>().ToList())
            RunTo(due + Tolerance(due - end));
        foreach (var p in _pending)
            Fail(p.Event.Location, $"{p.Call.Name}() was still blocked when the script ended at {Seconds(end)} s");
        // packetdrill looks at what the stack sent only when a '>' line asks: packets still queued when the last line
        // is done are not judged there either. They are listed, never passed over in silence.
        if (Failures.Count == 0)
            foreach (var (micros, frame) in _sent)
                Skipped.Add($"{_analysis.Events.LastOrDefault()?.Location ?? new SourceLocation(_analysis.Script.File, 1, 1)}: " +
                            $"not checked (after the last line, as packetdrill): packet at {Seconds(micros)} s: {Describe(frame)}");
    }

    // ------------------------------------------------------------------ the loop

    /// <summary>Runs the loop to <paramref name="micros"/>, polling blocked calls after every event.</summary>
    private void RunTo(long micros)
    {
        var until = AtMicros(micros);
        if (until < _loop.Now) until = _loop.Now;
        _loop.RunUntil(() => { PollPending(); return false; }, until);
        PollPending();
    }

    /// <summary>Runs until a packet is queued (or the limit), polling blocked calls.</summary>
    private bool RunUntilSent(long limitMicros)
    {
        var until = Instant.Max(AtMicros(limitMicros), _loop.Now);
        DropOldConnection();
        return _loop.RunUntil(() => { PollPending(); DropOldConnection(); return _sent.Count > 0; }, until);
    }

    /// <summary>A socket() since the connection's ports were learned: packetdrill's socket under test changed.</summary>
    private bool _newSocket;

    /// <summary>The socket under test is a listener (its listen() returned 0): packetdrill's next injected SYN
    /// opens a new passive connection, from a remote port of its own.</summary>
    private bool _listening;

    /// <summary>Passive connections opened so far; the first comes from <see cref="FirstRemotePort"/>, each later
    /// one from the next port.</summary>
    private int _passiveOpens;

    private const ushort FirstRemotePort = 40000;

    /// <summary>packetdrill matches <c>&gt;</c> lines only against the socket under test (the last one the script
    /// made; its sniffer frees any other packet): once the script made a new socket, segments the stack still sends
    /// on the old connection (the ACK of its FIN, a FIN after close) are passed over, listed as not checked, until
    /// the new connection's SYN sets the ports; after that, a segment on other ports than the connection's (an
    /// earlier connection's retransmitted FIN) is passed over the same way. A SYN is never: it may open the new one.</summary>
    private void DropOldConnection()
    {
        while (_sent.TryPeek(out var next))
        {
            var ip = SentIpPacket.Read(next.Frame);
            if (!ip.IsValid || ip.Protocol != SegmentCodec.ProtocolTcp) return;
            var tcp = ip.Payload;
            if (tcp.Length < 14 || (tcp[13] & 0x12) == 0x02) return; // a SYN opens the new connection
            bool otherPorts = BinaryPrimitives.ReadUInt16BigEndian(tcp) != _numbers.LocalPort ||
                              BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]) != _numbers.RemotePort;
            if (!_newSocket && !otherPorts) return;
            _sent.Dequeue(); // not the socket under test's connection: an earlier one's
            Skipped.Add($"not checked (an earlier connection, not the socket under test, as packetdrill): packet at {Seconds(next.Micros)} s: {Describe(next.Frame)}");
        }
    }

    private void PollPending()
    {
        for (int i = 0; i < _pending.Count; i++)
        {
            var p = _pending[i];
            SyscallOutcome? outcome;
            try
            {
                outcome = p.Poll();
            }
            catch (SyscallModelException x)
            {
                _pending.RemoveAt(i--);
                Fail(p.Event.Location, x.Message);
                continue;
            }
            if (outcome is null) continue;
            _pending.RemoveAt(i--);
            Judge(p.Event, p.Call, outcome);
            if (p.Call.EndMicros is not null && p.Event.ScriptEndMicros is long expectedEnd)
            {
                long startScript = p.Event.ScriptMicros;
                long expectedActual = _pendingStarts[p] + (expectedEnd - startScript);
                CheckTime(p.Event, NowMicros, expectedActual, expectedActual, _pendingStarts[p], "returned");
            }
        }
    }

    /// <summary>How long a call waits for a blocked one before it is made anyway (the blocked one is then reported
    /// still blocked at the end).</summary>
    private static readonly Duration BlockedCallWait = Duration.FromSeconds(2);

    private readonly Dictionary<PendingCall, long> _pendingStarts = new();
    private readonly Dictionary<PendingCall, long?> _pendingEnds = new();

    // ------------------------------------------------------------------ system calls

    private long Call(AnalyzedEvent e, SyscallLine call, long start, long? end, long previousActual)
    {
        RunTo(start);
        if (Failures.Count > 0) return start;
        if (_kernel is not null && _pending.Count > 0)
        {
            // packetdrill's syscall thread makes one call at a time: the next waits until the blocked one returned
            // (on the kernel an accept() right after the handshake's ACK may block for the moment it takes).
            var limit = Instant.Max(_loop.Now, AtMicros(start)) + BlockedCallWait;
            _loop.RunUntil(() => { PollPending(); return _pending.Count == 0 || Failures.Count > 0; }, limit);
            if (Failures.Count > 0) return start;
            start = Math.Max(start, NowMicros);
        }
        var outcome = _sockets.Execute(call, out var pending);
        if (call.Name == "socket" && outcome is { Result: >= 0 } && _numbers.LocalIsn is not null) _newSocket = true;
        if (call.Name is "socket" or "listen") _listening = call.Name == "listen" && outcome is { Result: 0 };
        RunTo(start); // what the call queued on the loop runs now
        if (outcome is not null)
        {
            Judge(e, call, outcome);
            // packetdrill anchors the next relative time on when the call returned (on the real clock a call
            // into the kernel's namespace takes a while; on the virtual clock this is the start).
            return Math.Max(start, NowMicros);
        }
        // The script goes on while the call blocks (packetdrill's syscall thread); written `...END`, its return time
        // is checked when it returns. Relative times after it count from its start.
        var p = new PendingCall(e, call, pending!);
        _pending.Add(p);
        _pendingStarts[p] = start;
        _pendingEnds[p] = end;
        return start;
    }

    private void Judge(AnalyzedEvent e, SyscallLine call, SyscallOutcome outcome)
    {
        long expected;
        try
        {
            expected = call.Result is EllipsisExpr ? outcome.Result : SocketTable.Number(call.Result, outcome.Result);
        }
        catch (SyscallModelException x)
        {
            Fail(e.Location, x.Message);
            return;
        }
        // `= -1` without an errno checks the result only, as packetdrill does.
        bool errnoDiffers = !SameErrno(call.Errno, outcome.Errno) && (call.Errno is not null || outcome.Result >= 0);
        if (expected != outcome.Result || errnoDiffers)
        {
            Fail(e.Location, $"{call.Name}() returned {outcome}, expected {call.Result}{(call.Errno is null ? "" : " " + call.Errno)}");
            return;
        }
        if (outcome.NotCompared is { } why) Skipped.Add($"{e.Location}: {why}");
        if (outcome.Fields is null) return;
        // Values written back through pointers: SO_ERROR's [value], TCP_INFO's {field=value}, poll's revents.
        var written = call.Name == "poll" ? PollRevents(call) : call.Argument(3) switch
        {
            ArrayExpr { Items: [var v] } when v is not StructExpr => new Dictionary<string, Expr> { ["value"] = v },
            StructExpr s => s.Items.OfType<FieldExpr>().Where(f => f.Name is not null).ToDictionary(f => f.Name!, f => f.Value),
            _ => [],
        };
        foreach (var (name, value) in written)
        {
            if (value is EllipsisExpr) continue;
            if (!outcome.Fields.TryGetValue(name, out long live))
            {
                Fail(e.Location, $"{call.Name}(): {name} is not modelled by our stack");
                return;
            }
            long want = SocketTable.Number(value, live);
            if (want != live)
            {
                Fail(e.Location, $"{call.Name}(): {name} is {Symbol(name, live)}, expected {value}");
                return;
            }
        }
    }

    /// <summary>Errno names with the same Linux number are the same errno (EWOULDBLOCK is EAGAIN).</summary>
    private static bool SameErrno(string? expected, string? actual) =>
        expected == actual || (expected is not null && actual is not null && PosixSymbols.TryValue(expected, out var a) &&
                               PosixSymbols.TryValue(actual, out var b) && a == b);

    private static Dictionary<string, Expr> PollRevents(SyscallLine call)
    {
        var items = (call.Argument(0) as ArrayExpr)?.Items.OfType<StructExpr>().ToList() ?? [];
        var result = new Dictionary<string, Expr>();
        for (int i = 0; i < items.Count; i++)
            if (items[i].Field("revents") is { } r) result[$"revents{i}"] = r;
        return result;
    }

    private static string Symbol(string field, long value)
    {
        if (field == "tcpi_state")
            foreach (TcpState s in Enum.GetValues<TcpState>())
                if (PosixSymbols.Value(PosixSymbols.TcpInfoState(s)) == value) return PosixSymbols.TcpInfoState(s);
        return value.ToString(CultureInfo.InvariantCulture);
    }

    // ------------------------------------------------------------------ packets in

    private long Inject(AnalyzedEvent e, PacketLine line, long at)
    {
        RunTo(at);
        if (Failures.Count > 0) return at;
        byte[] ip = line switch
        {
            TcpPacketLine tcp => _ip.FromRemote(SegmentCodec.ProtocolTcp, InboundTcp(tcp), tcp.Ip),
            UdpPacketLine udp => _ip.FromRemote(SegmentCodec.ProtocolUdp,
                SegmentCodec.Udp(_remote, _local, (ushort)(udp.Ports?.Source ?? _numbers.RemotePort), (ushort)(udp.Ports?.Destination ?? _bindPort),
                    udp.PayloadLength), udp.Ip),
            IcmpPacketLine icmp => _ip.FromRemote(_ip.IcmpProtocol, InboundIcmp(icmp), icmp.Ip),
            _ => throw new SyscallModelException("this packet cannot be injected"),
        };
        _peer.Transmit(FrameBuilder.Ethernet(_localMac, PeerMac, _ip.EtherType, ip));
        RunTo(at);
        return at;
    }

    private byte[] InboundTcp(TcpPacketLine line)
    {
        var s = line.Segment;
        if (s.Flags.Syn && !s.Flags.Ack && _listening)
        {
            // A new passive connection: packetdrill gives each one a fresh remote port (an ephemeral port of its
            // own), so an earlier connection still open (accepted, never closed) does not take the SYN for itself.
            _listening = false;
            _numbers.LocalPort = _bindPort;
            _numbers.RemotePort = (ushort)(FirstRemotePort + _passiveOpens++);
        }
        if (line.Ports is { } ports)
        {
            _numbers.RemotePort = (ushort)ports.Source;
            _numbers.LocalPort = (ushort)ports.Destination;
        }
        uint ack = s.Ack is uint a ? (s.AbsoluteSequence ? a : _numbers.LocalToLive(a, s.Flags.Syn)) : 0;
        if (s.Flags.Syn && !s.AbsoluteSequence) _numbers.LearnRemoteIsn(s.Start);
        if (s.Flags.Syn && !s.Flags.Ack) _newSocket = false; // a passive open: the new connection's ports are these
        uint sequence = s.AbsoluteSequence ? s.Start : _numbers.RemoteToLive(s.Start, s.Flags.Syn);
        var options = s.Options.AnyOptions ? [] : SegmentCodec.Options(s.Options.Items, n => _numbers.LocalToLive(n),
            // packetdrill maps an echoed timestamp only on a segment with ACK; a SYN's ecr goes as written.
            s.Flags.Ack ? _numbers.EchoToLive : ecr => ecr);
        if (options.Length > 40) throw new SyscallModelException($"options {s.Options} take {options.Length} bytes; TCP has room for 40");
        return SegmentCodec.Tcp(_remote, _local, _numbers.RemotePort, _numbers.LocalPort, sequence, ack,
            SegmentCodec.FlagBits(s.Flags), (ushort)(s.Window ?? 65535), options, s.Length);
    }

    private byte[] InboundIcmp(IcmpPacketLine line)
    {
        var (type, codes) = IcmpMessageNames.Of(line.Type, _ip.IsIpv6);
        string? codeName = line.Code is null ? null : PacketdrillDefines.Resolve(line.Code);
        byte code = codeName is null ? (byte)0 : codes.TryGetValue(codeName, out var c) ? c
            : byte.TryParse(codeName, out var n) ? n : throw new SyscallModelException($"ICMP code '{line.Code}' is not known for {line.Type}");
        byte[] quoted = [];
        // An error written without a quoted packet quotes the connection's segment at relative 0, as packetdrill
        // builds it (its grammar's default is [0:0(0)]): without one the kernel could not tell which socket it is for.
        bool isError = _ip.IsIpv6 ? type is 1 or 2 or 3 or 4 : type is 3 or 4 or 11 or 12;
        if ((line.Quoted ?? (isError ? new IcmpQuotedPacket(QuotedProtocol.Tcp, 0, 0, 0, line.Location) : null)) is { } q)
        {
            // The stack's own packet, as the router saw it: its IP header and the first bytes of its transport header.
            byte protocol = q.Protocol == QuotedProtocol.Tcp ? SegmentCodec.ProtocolTcp : q.Protocol == QuotedProtocol.Udp ? SegmentCodec.ProtocolUdp : (byte)255;
            byte[] transport = q.Protocol switch
            {
                QuotedProtocol.Tcp => SegmentCodec.Tcp(_local, _remote, _numbers.LocalPort, _numbers.RemotePort,
                    _numbers.LocalToLive(q.Start), 0, 0x02, 0, [], 0),
                QuotedProtocol.Udp => SegmentCodec.Udp(_local, _remote, _bindPort, _numbers.RemotePort, q.Length),
                _ => new byte[q.Length],
            };
            quoted = _ip.Quoted(protocol, transport, transport.Length + (q.Protocol == QuotedProtocol.Tcp ? q.Length : 0));
        }
        ushort high = 0, low = 0;
        if (line.Mtu is int mtu) low = (ushort)mtu;
        if (line.EchoId is int id) high = (ushort)id;
        return _ip.Icmp(type, code, high, low, quoted);
    }

    // ------------------------------------------------------------------ packets out

    private long Expect(AnalyzedEvent e, PacketLine line, long start, long? end, long previousActual)
    {
        bool any = e.Anchor == TimeAnchor.Any;
        long latest = (end ?? start) + Tolerance((end ?? start) - previousActual);
        if (any) latest = long.MaxValue / 2000;
        bool arrived = RunUntilSent(any ? previousActual + 600_000_000 : latest);
        // Our loop stalled while waiting: the frame may be in the tap unread, or stamped late; wait as long again.
        if (!arrived && !any && StallAllowanceMicros(previousActual, NowMicros) is > 0 and var allowance)
        {
            latest += allowance;
            arrived = RunUntilSent(latest);
        }
        if (!arrived)
        {
            Fail(e.Location, $"expected {line.GetType().Name switch { _ => Text(line) }} at {Seconds(start)} s; nothing was sent (waited until {Seconds(NowMicros)} s)");
            return NowMicros;
        }
        var (micros, frame) = _sent.Dequeue();
        if (line is TcpPacketLine { Segment.Length: > 0 } tcpLine && _analysis.Script.Option("strict_segments") is null)
            (micros, frame) = Aggregate(tcpLine.Segment.Length, micros, frame, any ? long.MaxValue / 2000 : latest);
        var mismatch = Compare(line, frame);
        if (mismatch is not null)
        {
            Fail(e.Location, $"{mismatch}\n  sent at {Seconds(micros)} s: {Describe(frame)}\n  script:  {Text(line)}");
            return micros;
        }
        if (!any) CheckTime(e, micros, start, end ?? start, previousActual, "sent");
        return micros;
    }

    /// <summary>packetdrill without <c>--strict_segments</c>: when the segment sent carries less than the line
    /// expects, the following segments of the same connection, in sequence and of the same size (the last may be
    /// shorter), are taken together until the payload adds up, so a kernel's TSO or pacing split of one write does
    /// not fail a script written for another split. The result has the first one's sequence number and CWR flag and
    /// the last one's other header fields and time, as packetdrill's aggregate_packets builds it.</summary>
    private (long Micros, byte[] Frame) Aggregate(int expected, long micros, byte[] first, long latest)
    {
        var parts = new List<byte[]> { first };
        int total = TcpPayloadLength(first) ?? expected;
        long lastMicros = micros;
        while (total < expected)
        {
            if (_sent.Count == 0 && !RunUntilSent(latest)) break;
            if (!_sent.TryPeek(out var next)) break;
            var previous = parts[^1];
            if (!SameConnection(previous, next.Frame))
            {
                // packetdrill's aggregation starts anew when a packet of another 4-tuple comes (an earlier socket's
                // SYN retransmitted just before the new socket's SYN): what it gathered is not judged.
                foreach (var part in parts)
                    Skipped.Add($"not checked (another connection's, passed over while gathering a line's payload, as packetdrill): packet: {Describe(part)}");
                _sent.Dequeue();
                (parts, first, micros, lastMicros) = ([next.Frame], next.Frame, next.Micros, next.Micros);
                total = TcpPayloadLength(first) ?? expected;
                continue;
            }
            if (!Continues(previous, next.Frame, out int length)) break;
            int previousLength = TcpPayloadLength(previous)!.Value;
            if (length < expected - total && length != previousLength) break; // not the last, and a different size
            _sent.Dequeue();
            parts.Add(next.Frame);
            total += length;
            lastMicros = next.Micros;
        }
        if (parts.Count == 1) return (micros, first);
        // Headers of the last fragment, payloads of all, then the first one's seq and CWR.
        var last = parts[^1];
        int headers = last.Length - TcpPayloadLength(last)!.Value;
        var merged = new byte[headers + total];
        last.AsSpan(0, headers).CopyTo(merged);
        int at = headers;
        foreach (var part in parts)
        {
            int length = TcpPayloadLength(part)!.Value;
            part.AsSpan(part.Length - length).CopyTo(merged.AsSpan(at));
            at += length;
        }
        SentIpPacket.FitLength(merged);
        int ihl = SentIpPacket.Read(merged).HeaderLength;
        first.AsSpan(14 + ihl + 4, 4).CopyTo(merged.AsSpan(14 + ihl + 4));
        merged[14 + ihl + 13] = (byte)((merged[14 + ihl + 13] & 0x7F) | (first[14 + ihl + 13] & 0x80));
        return (lastMicros, merged);
    }

    /// <summary>The TCP payload length of a frame whose IP packet fills it (no Ethernet padding counted).</summary>
    private static int? TcpPayloadLength(byte[] frame)
    {
        var ip = SentIpPacket.Read(frame);
        if (!ip.IsValid || ip.Protocol != SegmentCodec.ProtocolTcp) return null;
        var tcp = ip.Payload;
        if (tcp.Length < 20 || 14 + ip.Packet.Length != frame.Length) return null;
        return tcp.Length - (tcp[12] >> 4) * 4;
    }

    /// <summary>Both frames are TCP segments of one 4-tuple (addresses and ports).</summary>
    private static bool SameConnection(byte[] previous, byte[] next)
    {
        if (TcpPayloadLength(previous) is null || TcpPayloadLength(next) is null) return false;
        var a = SentIpPacket.Read(previous);
        var b = SentIpPacket.Read(next);
        // Same addresses (IPv4's at 12, IPv6's at 8) and ports.
        var (from, count) = a.IsIpv6 ? (8, 32) : (12, 8);
        return a.IsIpv6 == b.IsIpv6 && a.Packet.Slice(from, count).SequenceEqual(b.Packet.Slice(from, count)) &&
               a.Payload[..4].SequenceEqual(b.Payload[..4]);
    }

    /// <summary>Whether <paramref name="next"/> is the same connection's segment right after <paramref name="previous"/>.</summary>
    private static bool Continues(byte[] previous, byte[] next, out int length)
    {
        length = 0;
        if (!SameConnection(previous, next)) return false;
        int previousLength = TcpPayloadLength(previous)!.Value, nextLength = TcpPayloadLength(next)!.Value;
        var a = SentIpPacket.Read(previous);
        var b = SentIpPacket.Read(next);
        uint expectedSeq = BinaryPrimitives.ReadUInt32BigEndian(a.Payload[4..]) + (uint)previousLength;
        if (BinaryPrimitives.ReadUInt32BigEndian(b.Payload[4..]) != expectedSeq || nextLength == 0) return false;
        length = nextLength;
        return true;
    }

    private long Tolerance(long interval) =>
        Math.Max(_analysis.ToleranceMicros, (long)(Math.Abs(interval) * _analysis.TolerancePercent / 100));

    private void CheckTime(AnalyzedEvent e, long actual, long earliest, long latest, long previous, string what)
    {
        // A window widens by our own measured stall around it (RealWireTolerance.ForStall), as YAML windows do.
        long tolerance = Tolerance(latest - previous) + StallAllowanceMicros(Math.Min(previous, actual), Math.Max(latest, actual));
        if (actual < earliest - tolerance || actual > latest + tolerance)
            Fail(e.Location, $"timing error: {what} at {Seconds(actual)} s, expected {(earliest == latest ? Seconds(earliest) : $"{Seconds(earliest)}~{Seconds(latest)}")} s " +
                             $"(±{tolerance} µs); off by {Seconds(actual < earliest ? actual - earliest : actual - latest)} s");
    }

    private string? Compare(PacketLine line, byte[] frame)
    {
        var ip = SentIpPacket.Read(frame);
        if (!ip.IsValid || ip.IsIpv6 != _ip.IsIpv6) return $"not an {(_ip.IsIpv6 ? "IPv6" : "IPv4")} packet";
        byte protocol = ip.Protocol;
        var payload = ip.Payload;
        if (line.Ip is { } modifiers && IpHeaderMismatch(modifiers, ip) is { } ipProblem) return ipProblem;
        switch (line)
        {
            case TcpPacketLine tcp:
                if (protocol != SegmentCodec.ProtocolTcp) return $"expected a TCP segment, the stack sent protocol {protocol}";
                var live = SegmentCodec.ReadTcp(payload);
                if (live is null) return "a truncated TCP segment";
                if (tcp.Segment.Flags.Syn && !tcp.Segment.Flags.Ack)
                {
                    (_numbers.LocalPort, _numbers.RemotePort) = (live.SourcePort, live.DestinationPort); // an active open
                    _newSocket = false;
                }
                if (live.SourcePort != _numbers.LocalPort || live.DestinationPort != _numbers.RemotePort)
                    return $"ports {live.SourcePort}>{live.DestinationPort}, expected {_numbers.LocalPort}>{_numbers.RemotePort}";
                return SegmentMatcher.Mismatch(tcp.Segment, live, _numbers, _anyOptionLayout);
            case UdpPacketLine udp:
                if (protocol != SegmentCodec.ProtocolUdp) return $"expected a UDP datagram, the stack sent protocol {protocol}";
                int length = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) - 8;
                return length == udp.PayloadLength ? null : $"udp ({length}), expected udp ({udp.PayloadLength})";
            case IcmpPacketLine icmp:
                if (protocol != _ip.IcmpProtocol) return $"expected ICMP{(_ip.IsIpv6 ? "v6" : "")}, the stack sent protocol {protocol}";
                var (type, codes) = IcmpMessageNames.Of(icmp.Type, _ip.IsIpv6);
                if (payload[0] != type) return $"ICMP type {payload[0]}, expected {icmp.Type} ({type})";
                if (icmp.Code is { } code && codes.TryGetValue(code, out var c) && payload[1] != c) return $"ICMP code {payload[1]}, expected {code} ({c})";
                return null;
        }
        return "unknown packet line";
    }

    /// <summary>An outgoing packet's ECN codepoint and TOS (IPv6: traffic class) against <c>[ect0]</c> /
    /// <c>(tos 0x..)</c>, its TTL (hop limit) against <c>(ttl N)</c> / <c>(hlim N)</c>, and IPv6's flow label; ECN
    /// and TOS only the kernel's lines get here (LineClassifier refuses them on our stack, which sends neither).</summary>
    private static string? IpHeaderMismatch(IpModifiers expected, SentIpPacket ip)
    {
        byte tos = ip.TrafficClass;
        int ecn = tos & 3;
        bool ecnMatches = expected.Ecn switch
        {
            null => true,
            "noecn" => ecn == 0,
            "ect1" => ecn == 1,
            "ect0" => ecn == 2,
            "ce" => ecn == 3,
            "ect01" => ecn is 1 or 2,
            _ => true,
        };
        if (!ecnMatches) return $"ECN codepoint {ecn}, expected {expected.Ecn}";
        if (expected.Tos is int want && (tos & ~3) != (want & ~3)) return $"TOS 0x{tos & ~3:x2}, expected 0x{want & ~3:x2}";
        if (expected.Ttl is int hops && ip.HopLimit != hops) return $"{(ip.IsIpv6 ? "hop limit" : "TTL")} {ip.HopLimit}, expected {hops}";
        if (expected.FlowLabel is int label && ip.IsIpv6 && (BinaryPrimitives.ReadInt32BigEndian(ip.Packet) & 0xFFFFF) is var live && live != label)
            return $"flow label 0x{live:x5}, expected 0x{label:x5}";
        return null;
    }

    private static string Text(PacketLine line) => line switch
    {
        TcpPacketLine t => "> " + t.Segment,
        UdpPacketLine u => $"> udp ({u.PayloadLength})",
        IcmpPacketLine i => $"> icmp {i.Type} {i.Code}",
        _ => line.ToString()!,
    };

    /// <summary>A frame the stack sent, in script notation (TCP in relative numbers).</summary>
    private string Describe(byte[] frame)
    {
        var ip = SentIpPacket.Read(frame);
        if (!ip.IsValid) return frame.Length > 13 && frame[12] == 0x08 && frame[13] == 0x06 ? "arp" : "(not IP)";
        var payload = ip.Payload;
        bool fromStack = ip.Source == _local;
        if (ip.Protocol == SegmentCodec.ProtocolTcp && SegmentCodec.ReadTcp(payload) is { } s)
        {
            // The stack's numbers relative to its ISN, the peer's as the script writes them.
            var flags = SegmentCodec.Flags(s.Flags);
            uint start = fromStack ? _numbers.LiveToLocal(s.Sequence, flags.Syn) : _numbers.LiveToRemote(s.Sequence, flags.Syn);
            uint ack = fromStack ? _numbers.LiveToRemote(s.Acknowledgment, flags.Syn) : _numbers.LiveToLocal(s.Acknowledgment, flags.Syn);
            var text = $"{(fromStack ? ">" : "<")} {s.SourcePort}>{s.DestinationPort} {flags} {start}:{start + (uint)s.PayloadLength}({s.PayloadLength})";
            if (flags.Ack) text += $" ack {ack}";
            text += $" win {s.Window}";
            if (s.Options.Count > 0) text += " <" + string.Join(",", s.Options) + ">";
            return text;
        }
        if (ip.Protocol == SegmentCodec.ProtocolUdp && payload.Length >= 8) return $"udp ({BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) - 8})";
        if (ip.Protocol == SegmentCodec.ProtocolIcmp && payload.Length >= 2) return $"icmp type {payload[0]} code {payload[1]}";
        if (ip.Protocol == ScriptIpLayer.ProtocolIcmpv6 && payload.Length >= 2) return $"icmpv6 type {payload[0]} code {payload[1]}";
        return $"{(ip.IsIpv6 ? "IPv6 next header" : "IPv4 protocol")} {ip.Protocol}";
    }

    private void Fail(SourceLocation at, string message)
    {
        if (_lateness is not null && Failures.Count == 0)
            StallAtFailure = _lateness.StallDuring(AtMicros(_windowStartMicros), _loop.Now);
        var lines = new List<string> { $"{at}: {message}" };
        // The nearest frames: what went by on the wire just before the failure.
        var recent = Log.Frames.Skip(Math.Max(0, Log.Count - 6)).ToList();
        if (recent.Count > 0)
        {
            lines.Add("  last frames on the wire:");
            foreach (var f in recent) lines.Add($"    {Seconds(MicrosOf(f.Time)),10} {f.Host,-6} {Describe(f.Bytes)}");
        }
        Failures.Add(string.Join(Environment.NewLine, lines));
    }

    internal static string Seconds(long micros) => (micros / 1_000_000m).ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>The scripted peer's side of the wire: answers ARP for anything but the stack, queues the rest.</summary>
    /// <summary>When the local host sent <paramref name="frame"/>: on the tap wire, the time it was read off the tap
    /// and recorded, not the later moment our loop (stalled by a busy machine) handed it to the peer.</summary>
    private long SentMicros(ReadOnlySpan<byte> frame)
    {
        if (_kernel is null) return NowMicros;
        var frames = Log.Frames;
        for (int i = frames.Count - 1; i >= 0 && i >= frames.Count - 64; i--)
            if (frames[i].Host == "local" && frame.SequenceEqual(frames[i].Bytes)) return MicrosOf(frames[i].Time);
        return NowMicros;
    }

    private sealed class PeerReceiver(PacketdrillRun run) : IFrameReceiver
    {
        public void ReceiveFrame(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < 42) return;
            ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
            if (etherType == FrameBuilder.EtherTypeArp)
            {
                var arp = frame[14..];
                if (BinaryPrimitives.ReadUInt16BigEndian(arp[6..]) != 1) return;
                var target = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(arp[24..]));
                var sender = new Ipv4Address(BinaryPrimitives.ReadUInt32BigEndian(arp[14..]));
                if (target == run._localIpv4) return;
                var reply = FrameBuilder.Arp(2, PeerMac, target, run._localMac, sender);
                run._peer.Transmit(FrameBuilder.Ethernet(run._localMac, PeerMac, FrameBuilder.EtherTypeArp, reply));
                return;
            }
            if (Ipv6FrameBuilder.TryReadSolicitation(frame, out var wanted, out var asker, out var askerMac))
            {
                // As for ARP: every address but the local host's own is the peer's (the gateway, the remote); a
                // duplicate address probe (from ::) is not answered.
                if (!asker.IsUnspecified && wanted != run._local)
                    run._peer.Transmit(Ipv6FrameBuilder.NeighborAdvertisement(PeerMac, wanted, askerMac, asker));
                return;
            }
            if (etherType == run._ip.EtherType && !IsLinkHousekeeping(frame)) run._sent.Enqueue((run.SentMicros(frame), frame.ToArray()));
        }

        /// <summary>Neighbour discovery and multicast listener messages (and anything behind a hop-by-hop header, as
        /// MLD reports are): the link's business, recorded but never one of the script's packets.</summary>
        private static bool IsLinkHousekeeping(ReadOnlySpan<byte> frame)
        {
            if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != Ipv6FrameBuilder.EtherTypeIpv6 || frame.Length < 55) return false;
            byte next = frame[20];
            return next == 0 || (next == Ipv6FrameBuilder.NextHeaderIcmpv6 && frame[54] is >= 130 and <= 143);
        }
    }
}
