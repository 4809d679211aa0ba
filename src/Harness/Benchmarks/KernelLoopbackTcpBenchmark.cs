using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netstack.Drivers.Loops;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>The yardstick for <see cref="TcpBulkTransferBenchmark"/>: the Linux kernel's own TCP moving bulk data
/// over loopback between two sockets of this process (one thread sending 64 KiB writes, one reading), measured
/// in the same run, on the same loaded machine. Prints the kernel's rate and our stack's rate as a fraction of
/// it, which says more than either absolute number on a shared machine.</summary>
/// <param name="stack">Our stack's run at MTU 1500, compared as tcp-virtual-vs-kernel-ratio.</param>
/// <param name="largeFrames">Our stack's run with frames as large as loopback's (MTU 65535; the kernel's lo has 65536),
/// compared apart as tcp-virtual-64k-vs-kernel-ratio.</param>
/// <param name="parallel">Our stack's run at MTU 1500 on the parallel virtual loop (two threads, 20 µs and 100 Gbit/s
/// wire), compared as tcp-virtual-100g-parallel-vs-kernel-ratio.</param>
/// <param name="paced">The single loop on that same wire, compared as tcp-virtual-100g-vs-kernel-ratio.</param>
public sealed class KernelLoopbackTcpBenchmark(Func<TcpBulkTransferResult?> stack, Func<TcpBulkTransferResult?>? largeFrames = null,
    Func<TcpBulkTransferResult?>? parallel = null, Func<TcpBulkTransferResult?>? paced = null)
    : IBenchmarkWorkload
{
    public string Title => "Linux kernel TCP over loopback, in-process socket pair (the yardstick)";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        long warmup = Math.Max(settings.WarmupFrames * 32, 16L << 20);
        long measured = Math.Max(settings.MeasuredFrames * 107, 16L << 20);
        double best = 0, bestPerCpu = 0, bestCritical = 0;
        Transfer(warmup, out _);
        for (int round = 0; round < Math.Max(1, settings.Rounds); round++)
        {
            var cpuBefore = Environment.CpuUsage.TotalTime;
            double gbps = Transfer(measured, out var critical);
            var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
            best = Math.Max(best, gbps);
            if (critical > Duration.Zero) bestCritical = Math.Max(bestCritical, measured * 8 / critical.TotalSeconds / 1e9);
            if (cpu > TimeSpan.Zero) bestPerCpu = Math.Max(bestPerCpu, measured * 8 / cpu.TotalSeconds / 1e9);
        }
        yield return new BenchmarkFigure("tcp-kernel-loopback-gbps", best, "Gbit/s", "Linux TCP payload throughput over loopback, one connection");
        yield return new BenchmarkFigure("tcp-kernel-loopback-gbps-per-cpu", bestPerCpu, "Gbit/s",
            "  same, payload per CPU-second of the process, kernel time included");
        if (bestCritical > 0)
            yield return new BenchmarkFigure("tcp-kernel-loopback-gbps-critical-path", bestCritical, "Gbit/s",
                "  same, payload per second of the busier thread's CPU (sender or reader, kernel time included): the rate with a core each");
        if (best <= 0) yield break;
        var kernel = (best, bestPerCpu, bestCritical);
        if (stack() is { } ours)
            foreach (var f in Compare("tcp-virtual", ours, "our stack's TCP throughput as a fraction of the kernel's", null, kernel))
                yield return f;
        if (paced?.Invoke() is { } single)
            foreach (var f in Compare("tcp-virtual-100g", single,
                "our stack on one loop, 20 µs and 100 Gbit/s wire (the parallel run's wire) as a fraction of the kernel's", null, kernel))
                yield return f;
        if (parallel?.Invoke() is { } threads)
            foreach (var f in Compare("tcp-virtual-100g-parallel", threads,
                "our stack on the parallel virtual loop (two threads, same wire) as a fraction of the kernel's", "1.0", kernel))
                yield return f;
        if (largeFrames?.Invoke() is { } large)
            foreach (var f in Compare("tcp-virtual-64k", large,
                "our stack with 64 KB frames (virtual-wire \"GSO\", both ends ours) as a fraction of the kernel's", null, kernel))
                yield return f;
    }

    /// <summary>One of our runs against the kernel's: wall rate, per CPU-second, per second of each side's critical path.</summary>
    private static IEnumerable<BenchmarkFigure> Compare(string name, TcpBulkTransferResult ours, string description, string? target,
        (double Wall, double PerCpu, double CriticalPath) kernel)
    {
        yield return new BenchmarkFigure($"{name}-vs-kernel-ratio", ours.GigabitsPerSecond / kernel.Wall, "x", description, target);
        if (kernel.PerCpu > 0 && ours.GigabitsPerCpuSecond > 0)
            yield return new BenchmarkFigure($"{name}-vs-kernel-cpu-ratio", ours.GigabitsPerCpuSecond / kernel.PerCpu, "x",
                "  same, per CPU-second (both sides' work per byte; less sensitive to machine load)");
        if (kernel.CriticalPath > 0 && ours.GigabitsPerCriticalPathSecond > 0)
            yield return new BenchmarkFigure($"{name}-vs-kernel-critical-path-ratio", ours.GigabitsPerCriticalPathSecond / kernel.CriticalPath,
                "x", "  same, per second of each side's critical path (the rate with a core per thread; less sensitive to load)");
    }

    /// <summary>Moves <paramref name="bytes"/> through a fresh loopback connection; returns payload Gbit/s, and the CPU
    /// time of the busier of the two threads (sender, reader).</summary>
    public static double Transfer(long bytes, out Duration criticalPath)
    {
        var readerCpu = Duration.Zero;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();

        var reader = new Thread(() =>
        {
            var sink = new byte[256 * 1024];
            var cpuStart = ThreadCpuTime.Now();
            long received = 0;
            while (received < bytes)
            {
                int n = server.Receive(sink);
                if (n == 0) break;
                received += n;
            }
            readerCpu = ThreadCpuTime.Now() - cpuStart;
        }) { IsBackground = true, Name = "kernel-loopback-reader" };

        var chunk = new byte[64 * 1024];
        new Random(1).NextBytes(chunk);
        long started = Stopwatch.GetTimestamp();
        var senderStart = ThreadCpuTime.Now();
        reader.Start();
        long sent = 0;
        while (sent < bytes)
            sent += client.Send(chunk, 0, (int)Math.Min(chunk.Length, bytes - sent), SocketFlags.None);
        var senderCpu = ThreadCpuTime.Now() - senderStart;
        reader.Join();
        var elapsed = Stopwatch.GetElapsedTime(started);
        criticalPath = senderCpu > readerCpu ? senderCpu : readerCpu;
        return bytes * 8 / elapsed.TotalSeconds / 1e9;
    }
}
