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
    private readonly ILink _peer;
    private readonly ISocketModel _sockets;
    private readonly ConnectionNumbering _numbers = new();
    private readonly Queue<(long Micros, byte[] Frame)> _sent = new();
    private readonly List<PendingCall> _pending = [];
    private readonly Ipv4Address _local, _remote;
    private readonly ushort _bindPort;

    private sealed record PendingCall(AnalyzedEvent Event, SyscallLine Call, SocketTable.Pending Poll);

    private readonly bool _anyOptionLayout;

    /// <param name="anyOptionLayout">Compare which TCP options were sent, not their order and padding (measurement).</param>
    /// <param name="realTime">The tap wire: the kernel in a namespace made for the run is the local host, on this real-time loop.</param>
    public PacketdrillRun(ScriptAnalysis analysis, ulong seed, IFrameSink? capture, bool anyOptionLayout = false,
        Netstack.Drivers.Tap.RealTimeEventLoop? realTime = null)
    {
        _anyOptionLayout = anyOptionLayout;
        _analysis = analysis;
        var script = analysis.Script;
        _local = Address(script, "local_ip", "192.168.0.1");
        _remote = Address(script, "remote_ip", "192.0.2.1");
        _bindPort = Port(script, "bind_port", 8080);
        ushort connectPort = Port(script, "connect_port", 8080);
        Log = new FrameLog();
        var world = new WorldBuilder(seed, capture is null ? Log : new FanOutSink(Log, capture), realTime);
        // On the tap wire the kernel's TSO segments (up to 64 KB) cross the segment whole, as on packetdrill's tun.
        world.Segment("wire", realTime is null ? null : new Netstack.Drivers.Segments.SegmentOptions { Mtu = 65535 });
        // packetdrill's tun: the local host is 192.168.0.1/16 and reaches the remote through gateway 192.168.0.2;
        // the peer answers ARP for any address but the local host's, so either layout works.
        var localInterface = new InterfaceSpec("wire", LocalMac, new Ipv4Cidr(_local, 16), null);
        var defaultRoute = new RouteSpec(new Ipv4Cidr(Ipv4Address.Any, 0), Gateway(_local), new SourceLocation(script.File, 1, 1));
        if (realTime is null)
            _stack = world.AddHost("local", new StackOptions { Arp = new ArpOptions { SendGratuitousOnStart = false } },
                [localInterface], [defaultRoute]);
        else
        {
            var spec = new HostSpec("local", [localInterface], [defaultRoute], false, false, null, new SourceLocation(script.File, 1, 1));
            // Named tun0 as packetdrill's device, which scripts' shell commands name (ethtool -K tun0, tc qdisc ... tun0).
            _kernel = Netstack.Harness.Linux.LinuxPeer.Create(spec, realTime, 1500, "tun0", offload: true);
            // packetdrill's tun has no ARP: a permanent neighbour entry for the gateway keeps the kernel's first
            // segment from waiting for an ARP round trip (our peer still answers ARP for anything else).
            _kernel.Namespace.MustRun("ip", "neigh", "replace", Gateway(_local).ToString(), "lladdr", PeerMac.ToString(),
                "dev", "tun0", "nud", "permanent");
            ILink port = world.World.Segments["wire"].Connect("local.wire");
            if (world.World.Capture is { } kernelSink) port = new CaptureLink(port, realTime, kernelSink, "local", CaptureDirections.Outbound);
            _ = new Netstack.Drivers.Tap.FrameForwarder(_kernel.Tap, port);
        }
        Log.MapSegment(LocalMac, "wire");
        Log.MapSegment(PeerMac, "wire");
        var sim = world.World;
        _loop = sim.Loop;
        ILink link = sim.Segments["wire"].Connect("remote.wire");
        if (sim.Capture is { } sink) link = new CaptureLink(link, sim.Loop, sink, "remote", CaptureDirections.Outbound);
        link.Attach(new PeerReceiver(this));
        _peer = link;
        _numbers.LocalPort = _bindPort;
        _numbers.RemotePort = 40000;
        _sockets = _stack is not null
            ? new SocketTable(_stack, _remote, _bindPort, connectPort)
            : new KernelSocketTable(_kernel!, _remote, _bindPort, connectPort);
        world.Start();
    }

    public FrameLog Log { get; }
    /// <summary>Our stack (null on the tap wire, where the kernel is the local host).</summary>
    public NetworkStack? Stack => _stack;
    public long NowMicros => _loop.Now.Nanoseconds / 1000;

    /// <summary>The failures, each a report starting <c>file:line:col:</c>; empty when the script passed.</summary>
    public List<string> Failures { get; } = [];

    /// <summary>Python blocks and shell commands that were not run: counted and listed, never passed.</summary>
    public List<string> Skipped { get; } = [];

    public void Dispose() => _kernel?.Dispose();

    private static Ipv4Address Address(PacketdrillScript script, string option, string fallback) =>
        Ipv4Address.TryParse(script.Option(option)?.Value, out var a) ? a : Ipv4Address.Parse(fallback);

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
        var result = _kernel!.Namespace.Run(Duration.FromSeconds(20), "sh", "-c", $"cd '{folder}' && {shell.Command}");
        if (result.ExitCode == 0) return true;
        Fail(shell.Location, $"shell command failed (exit {result.ExitCode}): {(result.Error + result.Output).Trim()}");
        return false;
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
        if (Failures.Count == 0 && _sent.TryPeek(out var extra))
            Fail(_analysis.Events.LastOrDefault()?.Location ?? new SourceLocation(_analysis.Script.File, 1, 1),
                $"unexpected packet at {Seconds(extra.Micros)} s, after the last line: {Describe(extra.Frame)}");
    }

    // ------------------------------------------------------------------ the loop

    /// <summary>Runs the loop to <paramref name="micros"/>, polling blocked calls after every event.</summary>
    private void RunTo(long micros)
    {
        var until = new Instant(micros * 1000);
        if (until < _loop.Now) until = _loop.Now;
        _loop.RunUntil(() => { PollPending(); return false; }, until);
        PollPending();
    }

    /// <summary>Runs until a packet is queued (or the limit), polling blocked calls.</summary>
    private bool RunUntilSent(long limitMicros)
    {
        var until = new Instant(Math.Max(limitMicros * 1000, _loop.Now.Nanoseconds));
        return _loop.RunUntil(() => { PollPending(); return _sent.Count > 0; }, until);
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

    private readonly Dictionary<PendingCall, long> _pendingStarts = new();
    private readonly Dictionary<PendingCall, long?> _pendingEnds = new();

    // ------------------------------------------------------------------ system calls

    private long Call(AnalyzedEvent e, SyscallLine call, long start, long? end, long previousActual)
    {
        RunTo(start);
        if (Failures.Count > 0) return start;
        var outcome = _sockets.Execute(call, out var pending);
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
        if (expected != outcome.Result || call.Errno != outcome.Errno)
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
            TcpPacketLine tcp => InboundTcp(tcp),
            UdpPacketLine udp => FrameBuilder.Ipv4(IpFields(udp.Ip, SegmentCodec.ProtocolUdp),
                FrameBuilder.Udp(_remote, _local, (ushort)(udp.Ports?.Source ?? _numbers.RemotePort), (ushort)(udp.Ports?.Destination ?? _bindPort),
                    new byte[udp.PayloadLength], false)),
            IcmpPacketLine icmp => InboundIcmp(icmp),
            _ => throw new SyscallModelException("this packet cannot be injected"),
        };
        _peer.Transmit(FrameBuilder.Ethernet(LocalMac, PeerMac, FrameBuilder.EtherTypeIpv4, ip));
        RunTo(at);
        return at;
    }

    private FrameBuilder.Ipv4Fields IpFields(IpModifiers? ip, byte protocol) => new(_remote, _local, protocol)
    {
        TimeToLive = (byte)(ip?.Ttl ?? 64),
        TypeOfService = (byte)((ip?.Tos ?? 0) | (ip?.Ecn switch { "ect0" => 2, "ect1" => 1, "ce" => 3, _ => 0 })),
    };

    private byte[] InboundTcp(TcpPacketLine line)
    {
        var s = line.Segment;
        if (line.Ports is { } ports)
        {
            _numbers.RemotePort = (ushort)ports.Source;
            _numbers.LocalPort = (ushort)ports.Destination;
        }
        uint ack = s.Ack is uint a ? (s.AbsoluteSequence ? a : _numbers.LocalToLive(a)) : 0;
        var options = s.Options.AnyOptions ? [] : SegmentCodec.Options(s.Options.Items, _numbers.LocalToLive, _numbers.EchoToLive);
        if (options.Length > 40) throw new SyscallModelException($"options {s.Options} take {options.Length} bytes; TCP has room for 40");
        var tcp = SegmentCodec.Tcp(_remote, _local, _numbers.RemotePort, _numbers.LocalPort, s.Start, ack,
            SegmentCodec.FlagBits(s.Flags), (ushort)(s.Window ?? 65535), options, s.Length);
        return FrameBuilder.Ipv4(IpFields(line.Ip, SegmentCodec.ProtocolTcp), tcp);
    }

    private static readonly Dictionary<string, (byte Type, Dictionary<string, byte> Codes)> IcmpTypes = new()
    {
        ["unreachable"] = (3, new()
        {
            ["net_unreachable"] = 0, ["host_unreachable"] = 1, ["protocol_unreachable"] = 2, ["port_unreachable"] = 3,
            ["frag_needed"] = 4, ["source_route_failed"] = 5, ["net_unknown"] = 6, ["host_unknown"] = 7,
            ["source_host_isolated"] = 8, ["net_prohibited"] = 9, ["host_prohibited"] = 10, ["net_unreachable_for_tos"] = 11,
            ["host_unreachable_for_tos"] = 12, ["packet_filtered"] = 13, ["precedence_violation"] = 14, ["precedence_cutoff"] = 15,
        }),
        ["time_exceeded"] = (11, new() { ["ttl_exceeded"] = 0, ["fragment_reassembly"] = 1 }),
        ["source_quench"] = (4, new()),
        ["parameter_problem"] = (12, new() { ["pointer_indicates_error"] = 0 }),
        ["echo_request"] = (8, new()),
        ["echo_reply"] = (0, new()),
    };

    private byte[] InboundIcmp(IcmpPacketLine line)
    {
        var (type, codes) = IcmpTypes[line.Type];
        byte code = line.Code is null ? (byte)0 : codes.TryGetValue(line.Code, out var c) ? c
            : byte.TryParse(line.Code, out var n) ? n : throw new SyscallModelException($"ICMP code '{line.Code}' is not known for {line.Type}");
        byte[] quoted = [];
        if (line.Quoted is { } q)
        {
            // The stack's own packet, as the router saw it: its IPv4 header and the first bytes of its transport header.
            byte protocol = q.Protocol == QuotedProtocol.Tcp ? SegmentCodec.ProtocolTcp : q.Protocol == QuotedProtocol.Udp ? SegmentCodec.ProtocolUdp : (byte)255;
            byte[] transport = q.Protocol switch
            {
                QuotedProtocol.Tcp => SegmentCodec.Tcp(_local, _remote, _numbers.LocalPort, _numbers.RemotePort,
                    _numbers.LocalToLive(q.Start), 0, 0x02, 0, [], 0),
                QuotedProtocol.Udp => FrameBuilder.Udp(_local, _remote, _bindPort, _numbers.RemotePort, new byte[q.Length], false),
                _ => new byte[q.Length],
            };
            var original = FrameBuilder.Ipv4(new FrameBuilder.Ipv4Fields(_local, _remote, protocol)
                { TotalLength = 20 + transport.Length + (q.Protocol == QuotedProtocol.Tcp ? q.Length : 0) }, transport);
            quoted = original.AsSpan(0, Math.Min(original.Length, 20 + 20)).ToArray();
        }
        ushort high = 0, low = 0;
        if (line.Mtu is int mtu) low = (ushort)mtu;
        if (line.EchoId is int id) high = (ushort)id;
        return FrameBuilder.Ipv4(IpFields(line.Ip, SegmentCodec.ProtocolIcmp), FrameBuilder.Icmp(type, code, high, low, quoted, false));
    }

    // ------------------------------------------------------------------ packets out

    private long Expect(AnalyzedEvent e, PacketLine line, long start, long? end, long previousActual)
    {
        bool any = e.Anchor == TimeAnchor.Any;
        long latest = (end ?? start) + Tolerance((end ?? start) - previousActual);
        if (any) latest = long.MaxValue / 2000;
        if (!RunUntilSent(any ? previousActual + 600_000_000 : latest))
        {
            Fail(e.Location, $"expected {line.GetType().Name switch { _ => Text(line) }} at {Seconds(start)} s; nothing was sent (waited until {Seconds(NowMicros)} s)");
            return NowMicros;
        }
        var (micros, frame) = _sent.Dequeue();
        var mismatch = Compare(line, frame);
        if (mismatch is not null)
        {
            Fail(e.Location, $"{mismatch}\n  sent at {Seconds(micros)} s: {Describe(frame)}\n  script:  {Text(line)}");
            return micros;
        }
        if (!any) CheckTime(e, micros, start, end ?? start, previousActual, "sent");
        return micros;
    }

    private long Tolerance(long interval) =>
        Math.Max(_analysis.ToleranceMicros, (long)(Math.Abs(interval) * _analysis.TolerancePercent / 100));

    private void CheckTime(AnalyzedEvent e, long actual, long earliest, long latest, long previous, string what)
    {
        long tolerance = Tolerance(latest - previous);
        if (actual < earliest - tolerance || actual > latest + tolerance)
            Fail(e.Location, $"timing error: {what} at {Seconds(actual)} s, expected {(earliest == latest ? Seconds(earliest) : $"{Seconds(earliest)}~{Seconds(latest)}")} s " +
                             $"(±{tolerance} µs); off by {Seconds(actual < earliest ? actual - earliest : actual - latest)} s");
    }

    private string? Compare(PacketLine line, byte[] frame)
    {
        var ip = SegmentCodec.Ipv4Packet(frame);
        if (ip.Length < 20) return "not an IPv4 packet";
        int ihl = (ip[0] & 15) * 4;
        byte protocol = ip[9];
        var payload = ip[ihl..];
        switch (line)
        {
            case TcpPacketLine tcp:
                if (protocol != SegmentCodec.ProtocolTcp) return $"expected a TCP segment, the stack sent protocol {protocol}";
                var live = SegmentCodec.ReadTcp(payload);
                if (live is null) return "a truncated TCP segment";
                if (tcp.Segment.Flags.Syn && !tcp.Segment.Flags.Ack)
                    (_numbers.LocalPort, _numbers.RemotePort) = (live.SourcePort, live.DestinationPort); // an active open
                if (live.SourcePort != _numbers.LocalPort || live.DestinationPort != _numbers.RemotePort)
                    return $"ports {live.SourcePort}>{live.DestinationPort}, expected {_numbers.LocalPort}>{_numbers.RemotePort}";
                return SegmentMatcher.Mismatch(tcp.Segment, live, _numbers, _anyOptionLayout);
            case UdpPacketLine udp:
                if (protocol != SegmentCodec.ProtocolUdp) return $"expected a UDP datagram, the stack sent protocol {protocol}";
                int length = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) - 8;
                return length == udp.PayloadLength ? null : $"udp ({length}), expected udp ({udp.PayloadLength})";
            case IcmpPacketLine icmp:
                if (protocol != SegmentCodec.ProtocolIcmp) return $"expected ICMP, the stack sent protocol {protocol}";
                var (type, codes) = IcmpTypes.TryGetValue(icmp.Type, out var t) ? t : throw new SyscallModelException($"ICMP type {icmp.Type}");
                if (payload[0] != type) return $"ICMP type {payload[0]}, expected {icmp.Type} ({type})";
                if (icmp.Code is { } code && codes.TryGetValue(code, out var c) && payload[1] != c) return $"ICMP code {payload[1]}, expected {code} ({c})";
                return null;
        }
        return "unknown packet line";
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
        var ip = SegmentCodec.Ipv4Packet(frame);
        if (ip.Length < 20) return frame.Length > 13 && frame[12] == 0x08 && frame[13] == 0x06 ? "arp" : "(not IPv4)";
        var payload = ip[((ip[0] & 15) * 4)..];
        bool fromStack = BinaryPrimitives.ReadUInt32BigEndian(ip[12..]) == _local.Value;
        if (ip[9] == SegmentCodec.ProtocolTcp && SegmentCodec.ReadTcp(payload) is { } s)
        {
            // The stack's numbers relative to its ISN, the peer's as the script writes them.
            var flags = SegmentCodec.Flags(s.Flags);
            uint start = fromStack ? _numbers.LiveToLocal(s.Sequence) : s.Sequence;
            uint ack = fromStack ? s.Acknowledgment : _numbers.LiveToLocal(s.Acknowledgment);
            var text = $"{(fromStack ? ">" : "<")} {s.SourcePort}>{s.DestinationPort} {flags} {start}:{start + (uint)s.PayloadLength}({s.PayloadLength})";
            if (flags.Ack) text += $" ack {ack}";
            text += $" win {s.Window}";
            if (s.Options.Count > 0) text += " <" + string.Join(",", s.Options) + ">";
            return text;
        }
        if (ip[9] == SegmentCodec.ProtocolUdp) return $"udp ({BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) - 8})";
        if (ip[9] == SegmentCodec.ProtocolIcmp) return $"icmp type {payload[0]} code {payload[1]}";
        return $"IPv4 protocol {ip[9]}";
    }

    private void Fail(SourceLocation at, string message)
    {
        var lines = new List<string> { $"{at}: {message}" };
        // The nearest frames: what went by on the wire just before the failure.
        var recent = Log.Frames.Skip(Math.Max(0, Log.Count - 6)).ToList();
        if (recent.Count > 0)
        {
            lines.Add("  last frames on the wire:");
            foreach (var f in recent) lines.Add($"    {Seconds(f.TimeNanoseconds / 1000),10} {f.Host,-6} {Describe(f.Bytes)}");
        }
        Failures.Add(string.Join(Environment.NewLine, lines));
    }

    internal static string Seconds(long micros) => (micros / 1_000_000m).ToString("0.000000", CultureInfo.InvariantCulture);

    /// <summary>The scripted peer's side of the wire: answers ARP for anything but the stack, queues the rest.</summary>
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
                if (target == run._local) return;
                var reply = FrameBuilder.Arp(2, PeerMac, target, LocalMac, sender);
                run._peer.Transmit(FrameBuilder.Ethernet(LocalMac, PeerMac, FrameBuilder.EtherTypeArp, reply));
                return;
            }
            if (etherType == FrameBuilder.EtherTypeIpv4) run._sent.Enqueue((run.NowMicros, frame.ToArray()));
        }
    }
}
