using System.Diagnostics;
using Netstack.Api;
using Netstack.Network;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using Netstack.Drivers;

namespace Netstack.Harness.Benchmarks;

/// <summary>How many hosts one process simulates: the heap an idle host costs, a flat segment of 1,001 hosts each
/// pinging one target, and a routed network of 10,000 hosts (100 segments of 100 behind routers on a core segment)
/// plus a flat segment of 1,000, every host pinging a host on another segment.</summary>
public sealed class HostScaleWorkload : IBenchmarkWorkload
{
    public string Title => "Scale: hosts in one simulation";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        yield return new BenchmarkFigure("bytes-per-idle-host", BytesPerIdleHost(settings.IsQuick ? 500 : 2_000), "B",
            "managed heap per started, idle host on a shared segment", "<= 100000");

        var (flatSeconds, flatReplies) = Timed(() => FlatSegment(1_001));
        yield return new BenchmarkFigure("hosts-1k-flat-seconds", flatSeconds, "s",
            $"1,001 hosts on one segment, each pinging one target ({flatReplies} replies)", "<= 2");

        int segments = settings.IsQuick ? 20 : 100;
        var (routedSeconds, routedReplies) = Timed(() => Routed(segments, 100, 1_000));
        yield return new BenchmarkFigure(settings.IsQuick ? "hosts-3k-seconds" : "hosts-10k-seconds", routedSeconds, "s",
            $"{segments * 100 + 1_000:N0} hosts ({segments} routed segments of 100 + a flat 1,000), each pinging across ({routedReplies} replies)",
            settings.IsQuick ? null : "<= 20");
        yield return new BenchmarkFigure("hosts-peak-working-set", Process.GetCurrentProcess().PeakWorkingSet64 / 1e6, "MB",
            "peak working set of the process after the scale runs", "<= 4000");
    }

    private static (double Seconds, int Replies) Timed(Func<int> run)
    {
        long start = Stopwatch.GetTimestamp();
        int replies = run();
        return (Stopwatch.GetElapsedTime(start).TotalSeconds, replies);
    }

    private static double BytesPerIdleHost(int count)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = GC.GetTotalMemory(true);
        var sim = new World(1);
        var lan = sim.AddSegment("lan");
        for (int i = 0; i < count; i++)
            sim.Attach(sim.AddHost($"h{i}"), lan, Mac(0, i), new Ipv4Cidr(Address(10, 0, i), 16));
        sim.Start();
        sim.Loop.RunUntil(Instant.FromSeconds(1));
        long after = GC.GetTotalMemory(true);
        GC.KeepAlive(sim);
        return (after - before) / (double)count;
    }

    /// <summary>Every host but the first pings the first once; returns the replies that came back.</summary>
    private static int FlatSegment(int hosts)
    {
        var sim = new World(1);
        var lan = sim.AddSegment("lan", new SegmentOptions { Latency = Duration.FromMilliseconds(1) });
        var stacks = new List<NetworkStack>(hosts);
        for (int i = 0; i < hosts; i++)
        {
            var h = sim.AddHost($"h{i}");
            sim.Attach(h, lan, Mac(0, i), new Ipv4Cidr(Address(10, 0, i), 16));
            stacks.Add(h);
        }
        sim.Start();
        var pings = new List<Task<PingResult>>(hosts);
        var target = Address(10, 0, 0);
        for (int i = 1; i < hosts; i++) pings.Add(stacks[i].PingAsync(target));
        sim.Loop.RunUntil(() => pings.TrueForAll(p => p.IsCompleted), Instant.FromSeconds(30));
        return pings.Count(p => p.IsCompletedSuccessfully && p.Result.Status == PingStatus.Success);
    }

    /// <summary>Segment s (10.s.0.0/16) holds <paramref name="perSegment"/> hosts and router r_s (10.s.0.1), which also
    /// sits on the core (10.255.0.s+1/16) with a route to every other segment. Host k of segment s pings host k of
    /// segment s+1. The flat segment is one more routed segment of <paramref name="flat"/> hosts.</summary>
    private static int Routed(int segments, int perSegment, int flat)
    {
        var sim = new World(1);
        var core = sim.AddSegment("core", new SegmentOptions { Latency = Duration.FromMilliseconds(1) });
        int total = segments + 1;
        var routers = new List<NetworkStack>();
        var hosts = new List<List<NetworkStack>>();
        var routing = new StackOptions { Ipv4 = new Ipv4Options { Forwarding = true } };
        for (int s = 0; s < total; s++)
        {
            var lan = sim.AddSegment($"s{s}", new SegmentOptions { Latency = Duration.FromMilliseconds(1) });
            var router = sim.AddHost($"r{s}", routing);
            sim.Attach(router, lan, Mac(200, s), new Ipv4Cidr(Address(s, 0, 1), 16));
            sim.Attach(router, core, Mac(201, s), new Ipv4Cidr(Address(255, 0, s + 1), 16));
            routers.Add(router);
            int count = s == segments ? flat : perSegment;
            var members = new List<NetworkStack>(count);
            for (int k = 0; k < count; k++)
            {
                var h = sim.AddHost($"s{s}h{k}");
                sim.Attach(h, lan, Mac(s, k + 2), new Ipv4Cidr(Address(s, 0, k + 2), 16));
                h.AddDefaultGateway(Address(s, 0, 1));
                members.Add(h);
            }
            hosts.Add(members);
        }
        for (int s = 0; s < total; s++)
            for (int t = 0; t < total; t++)
                if (s != t) routers[s].AddRoute(new Ipv4Cidr(Address(t, 0, 0), 16), Address(255, 0, t + 1));
        sim.Start();
        sim.Loop.RunUntil(Instant.FromMilliseconds(10));

        // Host k pings in slot k mod 100, a millisecond apart: all at once would overflow each router's queue of
        // packets waiting for ARP (16, as a stack should bound it) and measure drops instead of scale.
        var pings = new List<Task<PingResult>>();
        for (int slot = 0; slot < 100; slot++)
        {
            sim.Loop.RunUntil(Instant.FromMilliseconds(10 + slot));
            for (int s = 0; s < total; s++)
            {
                var next = hosts[(s + 1) % total];
                for (int k = slot; k < hosts[s].Count; k += 100)
                    pings.Add(hosts[s][k].PingAsync(Address((s + 1) % total, 0, (k % next.Count) + 2)));
            }
        }
        sim.Loop.RunUntil(() => pings.TrueForAll(p => p.IsCompleted), Instant.FromSeconds(60));
        return pings.Count(p => p.IsCompletedSuccessfully && p.Result.Status == PingStatus.Success);
    }

    /// <summary>10.a.(n / 256 + b).(n % 256): hosts numbered past 255 spill into the third octet.</summary>
    private static Ipv4Address Address(int a, int b, int n) =>
        new((10u << 24) | ((uint)a << 16) | ((uint)(b + n / 256) << 8) | (uint)(n % 256));

    private static MacAddress Mac(int group, int n) => new(0x0200_0000_0000UL | ((ulong)(uint)group << 24) | (uint)n);
}
