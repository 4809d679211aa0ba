using Netstack.Diagnostics;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Fuzzing;

/// <summary>Something the fuzzer found: an exception that escaped the stack, a frame nobody accounted
/// for, or resources not returned after the run.</summary>
public sealed record FuzzFinding(string Kind, Mutation? Mutation, string Detail, string? FrameHex)
{
    public override string ToString() =>
        $"{Kind}{(Mutation is { } m ? $" ({m})" : "")}: {Detail}{(FrameHex is null ? "" : $"\n  frame: {FrameHex}")}";
}

public sealed record FuzzReport(
    long Frames,
    IReadOnlyDictionary<Mutation, long> ByMutation,
    IReadOnlyList<(DropReason Reason, long Count)> Drops,
    long Accepted,
    long FramesSent,
    long MemoryGrowthBytes,
    IReadOnlyList<FuzzFinding> Findings)
{
    public bool Passed => Findings.Count == 0;
}

/// <summary>Feeds seeded mutants of the corpus into one victim stack and checks the properties a
/// conformance harness relies on: no exception escapes, every frame is processed or counted as dropped,
/// and once every timer has run, every buffer and reassembly is released and memory is back within a
/// fixed bound.</summary>
public sealed class FrameFuzzer
{
    /// <summary>Growth of the managed heap we tolerate over a run (caches at their limits, pools warm).</summary>
    public const long MemoryBound = 32L * 1024 * 1024;
    private const int MaxFindings = 20;

    private readonly List<byte[]> _corpus;
    private readonly ulong _seed;

    public FrameFuzzer(List<byte[]> corpus, ulong seed)
    {
        if (corpus.Count == 0) throw new ArgumentException("the fuzz corpus is empty");
        _corpus = corpus;
        _seed = seed;
    }

    public FuzzReport Run(long frames, Action<long>? progress = null)
    {
        var random = new SeededRandom(_seed);
        var mutator = new FrameMutator(random.Fork());
        var loop = new VirtualEventLoop();
        var link = new ScriptedLink { Recording = false };
        var victim = new NetworkStack(loop, random.Fork(), name: "victim");
        var victimInterface = victim.AddInterface(link, FuzzCorpus.VictimMac, new Ipv4Cidr(FuzzCorpus.VictimIp, 24));
        victim.EnableIpv6(victimInterface, new Ipv6Cidr(FuzzCorpus.VictimIp6, 64));
        var socket = victim.OpenUdp(FuzzCorpus.OpenUdpPort);
        var counters = victim.Counters;
        var findings = new List<FuzzFinding>();
        // The stack contains a fault as live mode does (counted, the host lives on); for the fuzzer it is a finding.
        var faults = new FaultCollector();
        victim.FrameFaultObserver = faults;
        var byMutation = Enum.GetValues<Mutation>().ToDictionary(m => m, _ => 0L);

        GC.Collect();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long injected = 0;
        while (injected < frames)
        {
            var seedFrame = _corpus[random.NextInt(_corpus.Count)];
            foreach (var (kind, mutant) in mutator.Mutate(seedFrame))
            {
                injected++;
                byMutation[kind]++;
                long before = Accounted(counters);
                try
                {
                    link.Inject(mutant);
                }
                catch (Exception e)
                {
                    if (findings.Count < MaxFindings)
                        findings.Add(new FuzzFinding("exception", kind, $"{e.GetType().Name}: {e.Message} at {FirstFrame(e)}", Convert.ToHexString(mutant)));
                }
                if (faults.Take() is { } fault && findings.Count < MaxFindings)
                    findings.Add(new FuzzFinding("exception", kind, $"{fault.GetType().Name}: {fault.Message} at {FirstFrame(fault)} (contained)", Convert.ToHexString(mutant)));
                if (Accounted(counters) == before && findings.Count < MaxFindings)
                    findings.Add(new FuzzFinding("unaccounted", kind, "frame neither processed nor counted as dropped", Convert.ToHexString(mutant)));
            }
            // Let timers run (ARP retries, reassembly timeouts) as they would between frames.
            if (injected % 64 < 2)
            {
                loop.RunUntil(loop.Now + Duration.FromMilliseconds(10));
                while (socket.TryReceiveFrom(out _)) { }
                while (socket.TryReceiveError(out _)) { }
                CheckIpv6Bounds(victimInterface, findings);
                progress?.Invoke(injected);
            }
        }

        CheckIpv6Bounds(victimInterface, findings);
        // Run out every timer: afterwards nothing may be held.
        loop.RunUntil(loop.Now + Duration.FromSeconds(300));
        if (victim.Buffers.Outstanding != 0)
            findings.Add(new FuzzFinding("leak", null, $"{victim.Buffers.Outstanding} packet buffers not returned", null));
        if (victim.Ipv4.Reassembler.ActiveCount != 0 || victim.Ipv4.Reassembler.BytesHeld != 0)
            findings.Add(new FuzzFinding("leak", null, $"{victim.Ipv4.Reassembler.ActiveCount} reassemblies holding {victim.Ipv4.Reassembler.BytesHeld} bytes", null));
        if (victim.Ipv6.Reassembler.ActiveCount != 0 || victim.Ipv6.Reassembler.BytesHeld != 0)
            findings.Add(new FuzzFinding("leak", null, $"{victim.Ipv6.Reassembler.ActiveCount} IPv6 reassemblies holding {victim.Ipv6.Reassembler.BytesHeld} bytes", null));
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        long growth = memoryAfter - memoryBefore;
        if (growth > MemoryBound)
            findings.Add(new FuzzFinding("memory", null, $"heap grew by {growth} bytes (bound {MemoryBound})", null));
        GC.KeepAlive(victim);

        return new FuzzReport(injected, byMutation, counters.NonZeroDrops().ToList(),
            counters.Ipv4Delivered + counters.ArpPacketsProcessed + counters.FragmentsQueued + counters.Ipv6Delivered
            + counters.Ipv6FragmentsQueued, link.FramesTransmitted, growth, findings);
    }

    /// <summary>Most addresses an interface may hold: link-local, the static one, and one per router-advertised prefix
    /// the stack keeps (16).</summary>
    public const int MaxIpv6Addresses = 2 + 16;
    private const int MaxDefaultRouters = 8;
    private const int MaxOnLinkPrefixes = 16;

    /// <summary>What floods of Neighbor Discovery traffic may fill is bounded: the neighbour cache by its configured
    /// size, the routers, prefixes and autoconfigured addresses learned from advertisements and the redirected destinations by the stack's limits.</summary>
    private static void CheckIpv6Bounds(Netstack.Link.NetworkInterface iface, List<FuzzFinding> findings)
    {
        if (iface.Ipv6 is not { } ip || findings.Count >= MaxFindings) return;
        int maxNeighbors = iface.Stack.Options.NeighborDiscovery.MaxEntries;
        void Bound(string what, int count, int limit)
        {
            if (count > limit && !findings.Exists(f => f.Kind == "unbounded" && f.Detail.StartsWith(what, StringComparison.Ordinal)))
                findings.Add(new FuzzFinding("unbounded", null, $"{what}: {count} held (bound {limit})", null));
        }
        Bound("neighbour cache entries", ip.Neighbors.Entries.Count, maxNeighbors);
        Bound("default routers", ip.Routers.DefaultRouters.Count, MaxDefaultRouters);
        Bound("on-link prefixes", ip.Routers.OnLinkPrefixes.Count, MaxOnLinkPrefixes);
        Bound("IPv6 addresses", ip.Addresses.Count, MaxIpv6Addresses);
        Bound("redirected destinations", ip.Redirects.Count, iface.Stack.Options.Ipv6.MaxRedirectEntries);
    }

    /// <summary>Everything that shows a frame was handled: a drop with a reason, a delivery to a transport (over
    /// either IP version), an ARP packet acted on, or a fragment kept for reassembly.</summary>
    private static long Accounted(StackCounters c) =>
        c.TotalDropped + c.Ipv4Delivered + c.ArpPacketsProcessed + c.FragmentsQueued + c.Ipv6Delivered + c.Ipv6FragmentsQueued;

    private sealed class FaultCollector : IFrameFaultObserver
    {
        private Exception? _last;
        public void OnFrameFault(Netstack.Link.NetworkInterface iface, ReadOnlySpan<byte> frame, Exception error) => _last = error;

        public Exception? Take()
        {
            var e = _last;
            _last = null;
            return e;
        }
    }

    private static string FirstFrame(Exception e) =>
        e.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "?";
}
