using System.Diagnostics;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>Frames per second through the virtual wire between two hosts (ICMP echo flood with and without
/// pcap recording, the same over IPv6, UDP flood without), and the bytes allocated per frame in steady state.</summary>
public sealed class FrameThroughputWorkload : IBenchmarkWorkload
{
    public string Title => "Virtual wire: floods between two hosts on one segment";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var plain = Measure(new FloodWorld(w => new EchoFlood(w)), settings);
        yield return new BenchmarkFigure("frames_per_second", plain.FramesPerSecond, "frames/s",
            "ICMP echo flood, recording off", ">= 2000000");
        yield return new BenchmarkFigure("frames_per_cpu_second", plain.FramesPerCpuSecond, "frames/s",
            "  same, per CPU-second of the process (less sensitive to machine load)");
        yield return new BenchmarkFigure("alloc_bytes_per_frame", plain.BytesPerFrame, "B/frame",
            "ICMP echo flood, allocation per frame in steady state", "0");

        // The same flood over IPv6, measured right after the IPv4 one so that the ratio compares like with like.
        var ipv6 = Measure(new FloodWorld(w => new Echo6Flood(w)), settings);
        yield return new BenchmarkFigure("frames_per_second_ipv6", ipv6.FramesPerSecond, "frames/s",
            "ICMPv6 echo flood, recording off");
        yield return new BenchmarkFigure("frames_per_cpu_second_ipv6", ipv6.FramesPerCpuSecond, "frames/s",
            "  same, per CPU-second of the process");
        yield return new BenchmarkFigure("ipv6_vs_ipv4_frames_ratio", ipv6.FramesPerSecond / plain.FramesPerSecond, "x",
            "frames_per_second_ipv6 / frames_per_second, same run", ">= 0.8");
        yield return new BenchmarkFigure("alloc_bytes_per_frame_ipv6", ipv6.BytesPerFrame, "B/frame",
            "ICMPv6 echo flood, allocation per frame in steady state", "0");

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"netstack-bench-{Environment.ProcessId}.pcap");
        try
        {
            Measurement recorded;
            using (var sink = new PcapFileSink(path))
                recorded = Measure(new FloodWorld(w => new EchoFlood(w), sink), settings, endOfRound: sink.Flush);
            yield return new BenchmarkFigure("frames_per_second_pcap", recorded.FramesPerSecond, "frames/s",
                "ICMP echo flood, every frame written to a pcap file", ">= 3000000");
            yield return new BenchmarkFigure("frames_per_cpu_second_pcap", recorded.FramesPerCpuSecond, "frames/s",
                "  same, per CPU-second of the process (user + kernel)");
            yield return new BenchmarkFigure("alloc_bytes_per_frame_pcap", recorded.BytesPerFrame, "B/frame",
                "ICMP echo flood with pcap, allocation per frame", "0");
        }
        finally
        {
            File.Delete(path);
        }

        var udp = Measure(new FloodWorld(w => new UdpFlood(w)), settings);
        yield return new BenchmarkFigure("udp_frames_per_second", udp.FramesPerSecond, "frames/s",
            "UDP flood (64-byte datagrams, read by the receiving socket)");
        yield return new BenchmarkFigure("udp_frames_per_cpu_second", udp.FramesPerCpuSecond, "frames/s",
            "  same, per CPU-second of the process");
        yield return new BenchmarkFigure("udp_alloc_bytes_per_frame", udp.BytesPerFrame, "B/frame",
            "UDP flood, allocation per frame in steady state", "0");
    }

    /// <param name="FramesPerCpuSecond">Frames per second of CPU the process used in the window: on a
    /// machine shared with other work, wall-clock rates drop with the share of CPU the process gets.</param>
    private readonly record struct Measurement(double FramesPerSecond, double FramesPerCpuSecond, double BytesPerFrame);

    /// <summary>Warms up, then reports the best throughput over the rounds (interference from other processes
    /// only ever makes a round slower) and the highest allocation rate (a claim of zero must hold in every round).
    /// <paramref name="endOfRound"/> runs inside each round's window (the recording's flush: a frame counts once it
    /// is in the file, not while it waits in the writer's buffer).</summary>
    private static Measurement Measure(FloodWorld world, BenchmarkSettings settings, Action? endOfRound = null)
    {
        world.Pump(settings.WarmupFrames);
        double bestRate = 0, bestCpuRate = 0, mostBytes = 0;
        for (int round = 0; round < settings.Rounds; round++)
        {
            var cpuBefore = Environment.CpuUsage.TotalTime;
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            long frames = world.Pump(settings.MeasuredFrames);
            endOfRound?.Invoke();
            var elapsed = Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
            if (cpu > TimeSpan.Zero) bestCpuRate = Math.Max(bestCpuRate, frames / cpu.TotalSeconds);
            bestRate = Math.Max(bestRate, frames / elapsed.TotalSeconds);
            mostBytes = Math.Max(mostBytes, (double)allocated / frames);
        }
        return new Measurement(bestRate, bestCpuRate, mostBytes);
    }
}
