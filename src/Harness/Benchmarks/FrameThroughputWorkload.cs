using System.Diagnostics;
using Netstack.Simulation.Capture;

namespace Netstack.Harness.Benchmarks;

/// <summary>Frames per second through the virtual wire (ICMP echo flood between two hosts), with and
/// without pcap recording, and the bytes the managed heap grows by per frame in steady state.</summary>
public sealed class FrameThroughputWorkload : IBenchmarkWorkload
{
    public string Title => "Virtual wire: ICMP echo flood between two hosts";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var plain = Measure(new EchoFloodWorld(), settings);
        yield return new BenchmarkFigure("frames_per_second", plain.FramesPerSecond, "frames/s",
            "frames through the virtual wire, recording off", ">= 2000000");
        yield return new BenchmarkFigure("alloc_bytes_per_frame", plain.BytesPerFrame, "B/frame",
            "managed allocation per frame in steady state, recording off", "0");

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"netstack-bench-{Environment.ProcessId}.pcap");
        try
        {
            Measurement recorded;
            using (var sink = new PcapFileSink(path))
                recorded = Measure(new EchoFloodWorld(sink), settings);
            yield return new BenchmarkFigure("frames_per_second_pcap", recorded.FramesPerSecond, "frames/s",
                "frames through the virtual wire, every frame written to pcap (SharpPcap)", ">= 1000000");
            yield return new BenchmarkFigure("alloc_bytes_per_frame_pcap", recorded.BytesPerFrame, "B/frame",
                "managed allocation per frame in steady state, pcap recording on", "0");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private readonly record struct Measurement(double FramesPerSecond, double BytesPerFrame);

    /// <summary>Warms up, then reports the best throughput and the lowest allocation rate over the rounds
    /// (best, not mean: interference from other processes only ever makes a round slower).</summary>
    private static Measurement Measure(EchoFloodWorld world, BenchmarkSettings settings)
    {
        world.Pump(settings.WarmupFrames);
        double bestRate = 0, leastBytes = double.MaxValue;
        for (int round = 0; round < settings.Rounds; round++)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            long frames = world.Pump(settings.MeasuredFrames);
            var elapsed = Stopwatch.GetElapsedTime(start);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            bestRate = Math.Max(bestRate, frames / elapsed.TotalSeconds);
            leastBytes = Math.Min(leastBytes, (double)allocated / frames);
        }
        return new Measurement(bestRate, leastBytes);
    }
}
