using Netstack.Simulation.Capture;
using Netstack.Simulation.Loop;
using Netstack.Simulation.Wire;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Replay;

/// <summary>What a replay produced: the captured frames, the frames our stack sent, and the comparison.</summary>
public sealed record ReplayResult(IReadOnlyList<ReplayFrame> Captured, IReadOnlyList<ReplayFrame> Ours, ReplayReport Report);

/// <summary>Replays a capture against our stack: our stack takes over the endpoint with the given address,
/// every other frame is injected at its captured time on a virtual clock, and what our stack sends is
/// recorded and compared with what the captured endpoint sent.</summary>
public static class ReplaySession
{
    /// <summary>How long after the capture's last frame our stack's late responses are still collected.</summary>
    public static readonly long TailNanoseconds = 1_000_000_000;

    public static ReplayResult Run(string capturePath, string address, string? mac = null, string? outDir = null, ulong seed = 1)
    {
        if (!Ipv4Address.TryParse(address, out var ip)) throw new ReplayInputException($"--as: '{address}' is not an IPv4 address");
        if (mac is not null && !MacAddress.TryParse(mac, out _)) throw new ReplayInputException($"--mac: '{mac}' is not a MAC address");
        var frames = ReplayCapture.Load(capturePath);
        ReplayRole role;
        try
        {
            role = ReplayRole.Find(frames, ip.Value, mac?.ToLowerInvariant());
        }
        catch (ReplayInputException e)
        {
            throw new ReplayInputException($"{capturePath}: {e.Message}");
        }
        var (tcpScripts, udpScripts) = ServerScripts.Derive(frames, role);

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
            link.OnTransmit = bytes =>
            {
                var f = new ReplayFrame(ours.Count + 1, loop.Now.Nanoseconds, bytes.ToArray());
                ours.Add(f);
                rewriter.LearnOurs(f);
                sink?.Write(loop.Now, f.Bytes, new FrameContext("replay", FrameDirection.Outbound));
            };
            stack.AddInterface(link, MacAddress.Parse(role.OurMac), new Ipv4Cidr(ip, 24));
            // Started on the loop, so the applications' awaits resume there (its synchronization context).
            ReplayApplications? apps = null;
            loop.Post(() => apps = new ReplayApplications(stack, tcpScripts, udpScripts));
            _ = new Injector(frames, role, rewriter, link, sink, loop);
            loop.RunUntil(new Instant(frames[^1].TimeNanoseconds + TailNanoseconds));
            apps!.Stop();
            var report = ReplayComparer.Compare(frames, ours, role);
            report.Problems.AddRange(apps!.Problems);
            report.Problems.AddRange(ServerScripts.Unsupported(frames, role));
            if (sink is not null) report.OutputPath = sink.Path;
            return new ReplayResult(frames, ours, report);
        }
        finally
        {
            sink?.Dispose();
        }
    }

    /// <summary>Puts the peer's captured frames on our link at their captured times, as loop events, so the
    /// stack and the replay applications see them exactly as they would see a live peer.</summary>
    private sealed class Injector : IScheduledAction
    {
        private readonly IReadOnlyList<ReplayFrame> _frames;
        private readonly ReplayRole _role;
        private readonly TcpSequenceRewriter _rewriter;
        private readonly ScriptedLink _link;
        private readonly PcapFileSink? _sink;
        private readonly VirtualEventLoop _loop;
        private int _learned;

        public Injector(IReadOnlyList<ReplayFrame> frames, ReplayRole role, TcpSequenceRewriter rewriter, ScriptedLink link,
            PcapFileSink? sink, VirtualEventLoop loop)
        {
            (_frames, _role, _rewriter, _link, _sink, _loop) = (frames, role, rewriter, link, sink, loop);
            for (int i = 0; i < frames.Count; i++)
                if (!role.SentBy(frames[i])) loop.Schedule(new Instant(frames[i].TimeNanoseconds), this, i);
        }

        public void Run(long token)
        {
            int index = (int)token;
            // What the captured endpoint had sent by now (its ISNs) is known before the peer's frame is rewritten.
            for (; _learned < index; _learned++)
                if (_role.SentBy(_frames[_learned])) _rewriter.LearnCaptured(_frames[_learned]);
            var bytes = _rewriter.Rewrite(_frames[index]);
            _sink?.Write(_loop.Now, bytes, new FrameContext("peer", FrameDirection.Inbound));
            _link.Inject(bytes);
        }
    }
}
