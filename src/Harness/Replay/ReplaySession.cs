using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>What a replay produced: the captured frames, the frames our stack sent, and the comparison.</summary>
public sealed record ReplayResult(IReadOnlyList<ReplayFrame> Captured, IReadOnlyList<ReplayFrame> Ours, ReplayReport Report)
{
    /// <summary>How each captured frame was used (played, expected, skipped).</summary>
    public ReplayTraffic? Traffic { get; init; }
}

/// <summary>Replays a capture against our stack: our stack takes over the endpoint with the given address,
/// every other frame is injected at its captured time on a virtual clock, and what our stack sends is
/// recorded and compared with what the captured endpoint sent.</summary>
public static class ReplaySession
{
    /// <summary>How long after the capture's last frame our stack's late responses are still collected.</summary>
    public static readonly long TailNanoseconds = Duration.NanosecondsPerSecond;

    public static ReplayResult Run(string capturePath, string address, string? mac = null, string? outDir = null, ulong seed = 1,
        bool? primeArp = null, string? filter = null)
    {
        if (!Ipv4Address.TryParse(address, out var ip)) throw new ReplayInputException($"--as: '{address}' is not an IPv4 address");
        if (mac is not null && !MacAddress.TryParse(mac, out _)) throw new ReplayInputException($"--mac: '{mac}' is not a MAC address");
        var frames = ReplayCapture.Load(capturePath, filter);
        ReplayRole role;
        try
        {
            role = ReplayRole.Find(frames.Where(f => !f.Filtered).ToList(), ip.Value, mac?.ToLowerInvariant());
        }
        catch (ReplayInputException e)
        {
            throw new ReplayInputException($"{capturePath}: {e.Message}");
        }
        var traffic = new ReplayTraffic(frames, role);
        var judged = frames.Where(f => traffic.Use(f) != ReplayUse.Skipped).ToList();
        var (tcpScripts, udpScripts) = ServerScripts.Derive(judged, role);
        if (tcpScripts.Any(s => s.Midstream is { FirstNanoseconds: < MidstreamStart.LeadNanoseconds }))
        {
            // A synthesised handshake goes before the first frame: move the capture later to make room.
            frames = frames.Select(f => f.At(f.TimeNanoseconds + MidstreamStart.LeadNanoseconds)).ToList();
            judged = frames.Where(f => traffic.Use(f) != ReplayUse.Skipped).ToList();
            (tcpScripts, udpScripts) = ServerScripts.Derive(judged, role);
        }
        var played = judged.Where(f => traffic.Use(f) == ReplayUse.Played).ToList();
        var neighbours = new ReplayNeighbours(played, role);
        // Prime our ARP cache when the capture shows no ARP of our endpoint: it was taken with warm caches.
        bool prime = primeArp ?? !judged.Any(f => f.IsArp);

        var loop = new VirtualEventLoop();
        var stack = new NetworkStack(loop, new SeededRandom(seed), null, "replay");
        var link = new ScriptedLink();
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
            var injector = new Injector(judged, played, role, rewriter, link, sink, loop);
            link.OnTransmit = bytes =>
            {
                var f = new ReplayFrame(ours.Count + 1, loop.Now.Nanoseconds, bytes.ToArray());
                ours.Add(f);
                rewriter.LearnOurs(f);
                sink?.Write(loop.Now, f.Bytes, new FrameContext("replay", FrameDirection.Outbound));
                if (neighbours.Answer(f, loop.Now.Nanoseconds) is { } reply) injector.InjectNow(reply);
                injector.OnOurs(f);
            };
            var iface = stack.AddInterface(link, MacAddress.Parse(role.OurMac), new Ipv4Cidr(ip, PrefixLength(ip.Value, neighbours.Peers.Keys)));
            if (prime)
                foreach (var (peer, peerMac) in neighbours.Peers)
                    iface.Arp.Prime(new Ipv4Address(peer), MacAddress.Parse(peerMac));
            foreach (var script in tcpScripts.Where(s => s.Midstream is not null))
                injector.SynthesiseHandshake(script);
            // Started on the loop, so the applications' awaits resume there (its synchronization context).
            ReplayApplications? apps = null;
            var echoes = ServerScripts.EchoRequests(judged, role);
            loop.Post(() => apps = new ReplayApplications(stack, tcpScripts, udpScripts, echoes));
            loop.RunUntil(new Instant(frames[^1].TimeNanoseconds + TailNanoseconds));
            apps!.Stop();
            var midstream = tcpScripts.Where(s => s.Midstream is not null).ToList();
            var report = ReplayComparer.Compare(judged, ours, role, midstream, flow => apps.Delivered.GetValueOrDefault(flow)?.ToArray());
            report.Headlines.AddRange(neighbours.Unanswered());
            if (prime && neighbours.Peers.Count > 0)
                report.Notes.Add($"{"link",-18} primed our ARP cache with {neighbours.Peers.Count} captured neighbour{(neighbours.Peers.Count == 1 ? "" : "s")} ({string.Join(", ", neighbours.Peers.Select(p => $"{ReplayFrame.Ip(p.Key)} at {p.Value}"))})");
            report.Notes.AddRange(neighbours.Notes());
            foreach (var s in midstream)
                report.Notes.Add($"{"handshake",-18} tcp {ReplayFrame.Ip(s.PeerAddress)}:{s.PeerPort} :{s.Port}: the capture starts mid-connection (first frame {s.Midstream!.FirstFrame}, no SYN); synthesised a handshake with our endpoint as the {(s.Active ? "client" : "server")}, peer ISN {s.Midstream.CapturedPeerIsn}, captured ISN {s.Midstream.CapturedOurIsn}");
            int tagged = frames.Count(f => f.Vlan >= 0);
            if (tagged > 0)
                report.Notes.Add($"{"vlan",-18} {tagged} frames carried 802.1Q tags (VLAN {string.Join(", ", frames.Where(f => f.Vlan >= 0).Select(f => f.Vlan).Distinct())}): played and compared without them");
            report.Skipped.AddRange(traffic.Lines());
            report.Problems.AddRange(apps!.Problems);
            report.Problems.AddRange(ServerScripts.Unsupported(judged, role));
            if (sink is not null) report.OutputPath = sink.Path;
            return new ReplayResult(frames, ours, report) { Traffic = traffic };
        }
        finally
        {
            sink?.Dispose();
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

    /// <summary>Puts the peer's captured frames on our link at their captured times, as loop events, so the
    /// stack and the replay applications see them exactly as they would see a live peer; also the frames the
    /// replay makes up (ARP replies, synthesised handshakes).</summary>
    private sealed class Injector : IScheduledAction
    {
        private readonly IReadOnlyList<ReplayFrame> _judged;
        private readonly List<ReplayFrame> _toInject = new();
        private readonly ReplayRole _role;
        private readonly TcpSequenceRewriter _rewriter;
        private readonly ScriptedLink _link;
        private readonly PcapFileSink? _sink;
        private readonly VirtualEventLoop _loop;
        private int _learned;

        public Injector(IReadOnlyList<ReplayFrame> judged, List<ReplayFrame> played, ReplayRole role, TcpSequenceRewriter rewriter, ScriptedLink link,
            PcapFileSink? sink, VirtualEventLoop loop)
        {
            (_judged, _role, _rewriter, _link, _sink, _loop) = (judged, role, rewriter, link, sink, loop);
            foreach (var f in played) Schedule(f);
        }

        private void Schedule(ReplayFrame f)
        {
            _toInject.Add(f);
            _loop.Schedule(new Instant(f.TimeNanoseconds), this, _toInject.Count - 1);
        }

        /// <summary>A frame the replay made up, injected at once (as a loop event, not inside our transmit).</summary>
        public void InjectNow(byte[] bytes) => Schedule(new ReplayFrame(0, _loop.Now.Nanoseconds, bytes));

        private readonly Dictionary<(uint, ushort, ushort), ReplayFrame> _answerToOurSyn = new();

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
                _answerToOurSyn[key] = new ReplayFrame(0, 0, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.Address, s.PeerPort, s.Port,
                    m.CapturedPeerIsn, m.CapturedOurIsn + 1, ReplayFrame.Syn | ReplayFrame.AckFlag, m.Timestamps, m.PeerTsVal - 1, m.OurTsVal));
                return;
            }
            Schedule(new ReplayFrame(0, m.StartNanoseconds, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.Address, s.PeerPort, s.Port,
                m.CapturedPeerIsn, 0, ReplayFrame.Syn, m.Timestamps, m.PeerTsVal - 1, 0)));
            _answerToOurSyn[key] = new ReplayFrame(0, 0, SyntheticFrames.TcpSegment(peerMac, ourMac, s.PeerAddress, _role.Address, s.PeerPort, s.Port,
                m.CapturedPeerIsn + 1, m.CapturedOurIsn + 1, ReplayFrame.AckFlag, m.Timestamps, m.PeerTsVal - 1, m.OurTsVal));
        }

        /// <summary>Our stack sent <paramref name="f"/>: answers its SYN or SYN-ACK of a synthesised handshake.</summary>
        public void OnOurs(ReplayFrame f)
        {
            if (!f.IsTcp || !f.Has(ReplayFrame.Syn)) return;
            var key = (f.IpDestination, f.DestinationPort, f.SourcePort);
            if (_answerToOurSyn.Remove(key, out var answer)) Schedule(answer.At(_loop.Now.Nanoseconds));
        }

        public void Run(long token)
        {
            var frame = _toInject[(int)token];
            // What the captured endpoint had sent by now (its ISNs) is known before the peer's frame is rewritten.
            for (; _learned < _judged.Count && _judged[_learned].TimeNanoseconds <= frame.TimeNanoseconds; _learned++)
                if (_role.SentBy(_judged[_learned])) _rewriter.LearnCaptured(_judged[_learned]);
            var bytes = _rewriter.Rewrite(frame);
            _sink?.Write(_loop.Now, bytes, new FrameContext("peer", FrameDirection.Inbound));
            _link.Inject(bytes);
        }
    }
}
