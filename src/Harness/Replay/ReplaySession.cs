using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>What a replay produced: the captured frames, the frames our stack sent, and the comparison.</summary>
public sealed record ReplayResult(IReadOnlyList<ReplayFrame> Captured, IReadOnlyList<ReplayFrame> Ours, ReplayReport Report)
{
    /// <summary>How each captured frame was used (played, expected, skipped).</summary>
    public ReplayTraffic? Traffic { get; init; }

    /// <summary>Who took over the endpoint: "our stack" or "the Linux kernel".</summary>
    public string Endpoint { get; init; } = "our stack";
}

/// <summary>Replays a capture against our stack: our stack takes over the endpoint with the given address,
/// every other frame is injected at its captured time on a virtual clock, and what our stack sends is
/// recorded and compared with what the captured endpoint sent.</summary>
public static class ReplaySession
{
    /// <summary>How long after the capture's last frame our stack's late responses are still collected.</summary>
    public static readonly Duration Tail = Duration.FromSeconds(1);

    /// <summary>How far past the tail a replay on the real wire may go on while the endpoint is behind the capture: a
    /// loaded machine delays the kernel's socket threads, and a peer segment held for the endpoint waits for it. It
    /// goes on only while something still moves (a frame sent or put on the wire within a tail), so an endpoint that
    /// really differs (a step that never becomes ready) costs one tail more, not this.</summary>
    public static readonly Duration MaxOverrun = Duration.FromSeconds(30);

    /// <param name="wire">Who takes over the endpoint: our stack (virtual wire) or the Linux kernel (tap wire).</param>
    public static ReplayResult Run(string capturePath, string address, string? mac = null, string? outDir = null, ulong seed = 1,
        bool? primeArp = null, string? filter = null, ReplayWire wire = ReplayWire.Virtual)
    {
        IpAddress ip;
        if (Ipv4Address.TryParse(address, out var parsed4)) ip = parsed4;
        else if (Ipv6Address.TryParse(address, out var parsed6)) ip = parsed6;
        else throw new ReplayInputException($"--as: '{address}' is not an IPv4 or IPv6 address");
        if (mac is not null && !MacAddress.TryParse(mac, out _)) throw new ReplayInputException($"--mac: '{mac}' is not a MAC address");
        var frames = ReplayCapture.Load(capturePath, filter);
        ReplayRole role;
        try
        {
            role = ReplayRole.Find(frames.Where(f => !f.Filtered).ToList(), ip, mac?.ToLowerInvariant());
        }
        catch (ReplayInputException e)
        {
            throw new ReplayInputException($"{capturePath}: {e.Message}");
        }
        var traffic = new ReplayTraffic(frames, role);
        var judged = frames.Where(f => traffic.Use(f) != ReplayUse.Skipped).ToList();
        var (tcpScripts, udpScripts) = ServerScripts.Derive(judged, role);
        if (tcpScripts.Any(s => s.Midstream is { } m && m.FirstAt < Instant.Zero + MidstreamStart.Lead))
        {
            // A synthesised handshake goes before the first frame: move the capture later to make room.
            frames = frames.Select(f => f.At(f.Time + MidstreamStart.Lead)).ToList();
            judged = frames.Where(f => traffic.Use(f) != ReplayUse.Skipped).ToList();
            (tcpScripts, udpScripts) = ServerScripts.Derive(judged, role);
        }
        var played = judged.Where(f => traffic.Use(f) == ReplayUse.Played).ToList();
        var neighbours = new ReplayNeighbours(played, role);
        // Prime our ARP (neighbour) cache when the capture shows no ARP (neighbour discovery) of our endpoint: it
        // was taken with warm caches.
        bool primeV4 = primeArp ?? !judged.Any(f => f.IsArp);
        bool primeV6 = primeArp ?? !judged.Any(f => f.IsNeighborSolicitation || f.IsNeighborAdvertisement);
        var primed = neighbours.Peers.Where(p => p.Key.IsIpv4 ? primeV4 : primeV6).ToList();

        var prefix = role.Ipv4 is { } own4
            ? new Ipv4Cidr(own4.Ipv4, PrefixLength(own4.Ipv4.Value, neighbours.Peers.Keys.Where(p => p.IsIpv4).Select(p => p.Ipv4.Value)))
            : new Ipv4Cidr(Ipv4Address.Any, 32);
        var prefixes6 = role.Ipv6.Select(a => new Ipv6Cidr(a, PrefixLength(a, neighbours.Peers.Keys.Where(p => !p.IsIpv4 && !p.Ipv6.IsLinkLocal).Select(p => p.Ipv6)))).ToList();
        int mtu = Math.Max(1500, judged.Where(f => f.IsIp).Select(f => f.IpTotalLength).DefaultIfEmpty(0).Max());
        using IReplayEndpoint endpoint = wire == ReplayWire.Tap
            ? new KernelReplayEndpoint(prefix, prefixes6, role.OurMac, mtu)
            : new StackReplayEndpoint(prefix, prefixes6, role.OurMac, seed);
        var loop = endpoint.Loop;
        var ours = new List<ReplayFrame>();
        var rewriter = new TcpSequenceRewriter(role);
        PcapFileSink? sink = null;
        if (outDir is not null)
        {
            var outPath = Path.Combine(outDir, Path.GetFileNameWithoutExtension(capturePath) + ".replay.pcap");
            try
            {
                sink = new PcapFileSink(outPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or SharpPcap.PcapException)
            {
                throw new ReplayInputException($"--out: cannot write {outPath}: {e.Message.Trim()}");
            }
        }
        try
        {
            var injector = new Injector(judged, played, role, rewriter, endpoint, sink) { Gated = wire == ReplayWire.Tap };
            endpoint.OnTransmit(bytes =>
            {
                var f = new ReplayFrame(ours.Count + 1, loop.Now, bytes);
                ours.Add(f);
                rewriter.LearnOurs(f);
                sink?.Write(loop.Now, f.Bytes, new FrameContext("replay", FrameDirection.Outbound));
                if (neighbours.Answer(f, loop.Now) is { } reply) injector.InjectNow(reply);
                injector.OnOurs(f);
            });
            foreach (var (peer, peerMac) in primed)
                endpoint.PrimeNeighbour(peer, peerMac);
            foreach (var script in tcpScripts.Where(s => s.Midstream is not null))
                injector.SynthesiseHandshake(script);
            var echoes = ServerScripts.EchoRequests(judged, role);
            endpoint.StartApplications(tcpScripts, udpScripts, echoes);
            loop.RunUntil(frames[^1].Time + Tail);
            if (injector.Gated) PlayOut(loop, endpoint, injector, ours);
            (endpoint as KernelReplayEndpoint)?.ThrowIfInterrupted();
            endpoint.StopApplications();
            var midstream = tcpScripts.Where(s => s.Midstream is not null).ToList();
            var report = ReplayComparer.Compare(judged, ours, role, midstream, endpoint.Delivered, endpoint.Name);
            report.Headlines.AddRange(neighbours.Unanswered(endpoint.Name));
            if (primed.Count > 0)
            {
                bool v4 = primed.Any(p => p.Key.IsIpv4), v6 = primed.Any(p => !p.Key.IsIpv4);
                string caches = v4 && v6 ? "ARP and neighbour caches" : v4 ? "ARP cache" : "neighbour cache";
                report.Notes.Add($"{"link",-18} primed {(wire == ReplayWire.Tap ? "the kernel's" : "our")} {caches} with {primed.Count} captured neighbour{(primed.Count == 1 ? "" : "s")} ({string.Join(", ", primed.Select(p => $"{ReplayFrame.Ip(p.Key)} at {p.Value}"))})");
            }
            report.Notes.AddRange(neighbours.Notes(endpoint.Name));
            foreach (var s in midstream)
                report.Notes.Add($"{"handshake",-18} tcp {ReplayFrame.Endpoint(s.PeerAddress, s.PeerPort)} :{s.Port}: the capture starts mid-connection (first frame {s.Midstream!.FirstFrame}, no SYN); synthesised a handshake with our endpoint as the {(s.Active ? "client" : "server")}, peer ISN {s.Midstream.CapturedPeerIsn}, captured ISN {s.Midstream.CapturedOurIsn}");
            int tagged = frames.Count(f => f.Vlan >= 0);
            if (tagged > 0)
                report.Notes.Add($"{"vlan",-18} {tagged} frames carried 802.1Q tags (VLAN {string.Join(", ", frames.Where(f => f.Vlan >= 0).Select(f => f.Vlan).Distinct())}): played and compared without them");
            report.Skipped.AddRange(traffic.Lines());
            report.Problems.AddRange(endpoint.Problems);
            report.Problems.AddRange(ServerScripts.Unsupported(judged, role));
            if (sink is not null) report.OutputPath = sink.Path;
            return new ReplayResult(frames, ours, report) { Traffic = traffic, Endpoint = endpoint.Name };
        }
        finally
        {
            sink?.Dispose();
        }
    }

    /// <summary>Runs on after the tail while the endpoint is behind the capture (<see cref="MaxOverrun"/>); once it has
    /// caught up, one more tail collects what its last steps cause (the ACK of a FIN).</summary>
    private static void PlayOut(IEventLoop loop, IReplayEndpoint endpoint, Injector injector, List<ReplayFrame> ours)
    {
        var cap = loop.Now + MaxOverrun;
        int moved = ours.Count + injector.Injected;
        while ((endpoint.Behind || injector.Holding) && loop.Now < cap)
        {
            loop.RunUntil(Instant.Min(loop.Now + Tail, cap));
            if (!endpoint.Behind && !injector.Holding)
            {
                loop.RunUntil(Instant.Min(loop.Now + Tail, cap));
                return;
            }
            if (ours.Count + injector.Injected == moved) return; // stuck, not late: the comparison says what is missing
            moved = ours.Count + injector.Injected;
        }
    }

    /// <summary>Our interface's prefix: /24 when every played address is in our /24, else the longest prefix
    /// that holds them all, so that our stack sends to each directly (to the MAC the capture shows for it).</summary>
    private static int PrefixLength(uint us, IEnumerable<uint> peers)
    {
        int length = 24;
        foreach (var p in peers)
            while (length > 1 && (p ^ us) >> (32 - length) != 0) length--;
        return length;
    }

    /// <summary>IPv6: /64 (the only length SLAAC and most links use) when every played global address is in our
    /// /64, else the longest prefix that holds them all.</summary>
    private static int PrefixLength(Ipv6Address us, IEnumerable<Ipv6Address> peers)
    {
        int length = 64;
        foreach (var p in peers)
            while (length > 1 && !p.IsInSubnet(us, length)) length--;
        return length;
    }

    /// <summary>Puts the peer's captured frames on our link at their captured times, as loop events, so the
    /// stack and the replay applications see them exactly as they would see a live peer; also the frames the
    /// replay makes up (ARP replies, synthesised handshakes).</summary>
    private sealed class Injector : IScheduledAction
    {
        private readonly IReadOnlyList<ReplayFrame> _judged;
        private readonly List<ReplayFrame> _toInject = new();
        private readonly ReplayRole _role;
        private readonly TcpSequenceRewriter _rewriter;
        private readonly IReplayEndpoint _endpoint;
        private readonly PcapFileSink? _sink;
        private readonly IEventLoop _loop;
        private int _learned;

        public Injector(IReadOnlyList<ReplayFrame> judged, List<ReplayFrame> played, ReplayRole role, TcpSequenceRewriter rewriter,
            IReplayEndpoint endpoint, PcapFileSink? sink)
        {
            (_judged, _role, _rewriter, _endpoint, _sink, _loop) = (judged, role, rewriter, endpoint, sink, endpoint.Loop);
            foreach (var f in played) Schedule(f);
        }

        private void Schedule(ReplayFrame f)
        {
            _toInject.Add(f);
            _loop.Schedule(f.Time, this, _toInject.Count - 1);
        }

        /// <summary>A frame the replay made up, injected at once (as a loop event, not inside our transmit).</summary>
        public void InjectNow(byte[] bytes) => Schedule(new ReplayFrame(0, _loop.Now, bytes));

        private readonly Dictionary<(IpAddress, ushort, ushort), ReplayFrame> _answerToOurSyn = new();

        /// <summary>The handshake a mid-connection capture lacks. Our endpoint as the server: the peer's SYN at
        /// the start, its ACK in answer to our SYN-ACK. As the client (the replay application connects at the
        /// start): the peer's SYN-ACK in answer to our SYN.</summary>
        public void SynthesiseHandshake(TcpServerScript s)
        {
            var m = s.Midstream!;
            _rewriter.SetCaptured(s.PeerAddress, s.PeerPort, s.Port, m.CapturedOurIsn, m.OurTsVal);
            string peerMac = m.PeerMac, ourMac = _role.CapturedMac;
            var key = (s.PeerAddress, s.PeerPort, s.Port);
            if (s.Active)
            {
                _answerToOurSyn[key] = new ReplayFrame(0, Instant.Zero, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.AddressFor(s.PeerAddress), s.PeerPort, s.Port,
                    m.CapturedPeerIsn, m.CapturedOurIsn + 1, ReplayFrame.Syn | ReplayFrame.AckFlag, m.Timestamps, m.PeerTsVal - 1, m.OurTsVal));
                return;
            }
            Schedule(new ReplayFrame(0, m.StartAt, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.AddressFor(s.PeerAddress), s.PeerPort, s.Port,
                m.CapturedPeerIsn, 0, ReplayFrame.Syn, m.Timestamps, m.PeerTsVal - 1, 0)));
            _answerToOurSyn[key] = new ReplayFrame(0, Instant.Zero, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.AddressFor(s.PeerAddress), s.PeerPort, s.Port,
                m.CapturedPeerIsn + 1, m.CapturedOurIsn + 1, ReplayFrame.AckFlag, m.Timestamps, m.PeerTsVal - 1, m.OurTsVal));
        }

        /// <summary>Our stack sent <paramref name="f"/>: answers its SYN or SYN-ACK of a synthesised handshake.</summary>
        public void OnOurs(ReplayFrame f)
        {
            if (Gated && f.IsTcp && _held.Count > 0) _loop.Post(ReleaseAll);
            if (!f.IsTcp || !f.Has(ReplayFrame.Syn)) return;
            var key = (f.IpDestination, f.DestinationPort, f.SourcePort);
            if (_answerToOurSyn.Remove(key, out var answer)) Schedule(answer.At(_loop.Now));
        }

        /// <summary>On a real wire a peer segment waits (at most <see cref="Hold"/>) until the endpoint has
        /// sent what it acknowledges, and the connection's later segments wait behind it (see
        /// <see cref="TcpSequenceRewriter.Covers"/>). On the virtual wire our stack answers at the instant it is asked.</summary>
        public bool Gated { get; init; }

        /// <summary>Longest a peer segment waits for the endpoint; then it goes, its acknowledgment cut to what was sent.</summary>
        public static readonly Duration Hold = Duration.FromMilliseconds(500);

        private readonly Dictionary<(IpAddress, ushort, ushort), Queue<ReplayFrame>> _held = new();

        public void Run(long token)
        {
            var frame = _toInject[(int)token];
            // What the captured endpoint had sent by now (its ISNs) is known before the peer's frame is rewritten.
            for (; _learned < _judged.Count && _judged[_learned].Time <= frame.Time; _learned++)
                if (_role.SentBy(_judged[_learned])) _rewriter.LearnCaptured(_judged[_learned]);
            // The replay's own frames (number 0: a synthesised handshake's answers) are made to fit and go at once.
            if (Gated && frame.IsTcp && frame.Number != 0)
            {
                var key = (frame.IpSource, frame.SourcePort, frame.DestinationPort);
                bool waiting = _held.TryGetValue(key, out var queue) && queue.Count > 0;
                if (waiting || !_rewriter.Covers(frame))
                {
                    if (queue is null) _held[key] = queue = new Queue<ReplayFrame>();
                    queue.Enqueue(frame);
                    if (!waiting) _loop.Schedule(_loop.Now + Hold, new HoldDeadline(this, key, frame), 0);
                    return;
                }
            }
            Put(frame);
        }

        /// <summary>Peer frames put on the wire so far.</summary>
        public int Injected { get; private set; }

        /// <summary>Some peer segment still waits for the endpoint (<see cref="Gated"/>).</summary>
        public bool Holding
        {
            get
            {
                foreach (var queue in _held.Values)
                    if (queue.Count > 0) return true;
                return false;
            }
        }

        private void Put(ReplayFrame frame)
        {
            Injected++;
            var bytes = _rewriter.Rewrite(frame);
            _sink?.Write(_loop.Now, bytes, new FrameContext("peer", FrameDirection.Inbound));
            _endpoint.Inject(bytes);
        }

        /// <summary>Injects the held segments the endpoint has now caught up with (all of them when
        /// <paramref name="expired"/> names the head of its connection's queue).</summary>
        private void Release((IpAddress, ushort, ushort) key, ReplayFrame? expired = null)
        {
            if (!_held.TryGetValue(key, out var queue)) return;
            bool released = false;
            while (queue.Count > 0 && (ReferenceEquals(queue.Peek(), expired) || _rewriter.Covers(queue.Peek())))
            {
                Put(queue.Dequeue());
                released = true;
                expired = null;
            }
            if (released && queue.Count > 0)
                _loop.Schedule(_loop.Now + Hold, new HoldDeadline(this, key, queue.Peek()), 0);
        }

        private void ReleaseAll()
        {
            foreach (var key in _held.Keys.ToList()) Release(key);
        }

        private sealed class HoldDeadline(Injector injector, (IpAddress, ushort, ushort) key, ReplayFrame frame) : IScheduledAction
        {
            public void Run(long token)
            {
                if (injector._held.TryGetValue(key, out var queue) && queue.Count > 0 && ReferenceEquals(queue.Peek(), frame))
                    injector.Release(key, frame);
            }
        }
    }
}
