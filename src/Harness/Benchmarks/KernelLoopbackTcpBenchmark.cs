using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Netstack.Drivers.Loops;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>Our stack's TCP bulk transfers (<see cref="TcpBulkTransferBenchmark"/>) against the yardstick: the Linux
/// kernel's own TCP moving bulk data over loopback between two sockets of this process (one thread sending 64 KiB
/// writes, one reading), measured in the same run, on the same machine, in pairs.</summary>
/// <remarks>Why pairs: this machine's rates drift by a factor of two within a minute (the kernel's loopback measured
/// 12.4 and then 28.1 Gbit/s in two runs a minute apart, our stack 7.6-17 Gbit/s within one process), so two best-of-N
/// figures measured at different moments gave ratios from 0.49 to 1.33 for one build. Each round here runs the kernel's
/// transfer and then each of ours back to back (every other round in the other order); a ratio figure is the median of
/// the rounds' ratios, and its description gives their range.</remarks>
/// <param name="compared">Our stack's runs to compare, each reported as <c>{FigureName}-vs-kernel-ratio</c>: at MTU
/// 1500 (tcp-virtual), with frames as large as loopback's (MTU 65535; the kernel's lo has 65536; reported apart as
/// the issue allows), and on the paced wire with one loop and with the parallel loop.</param>
public sealed class KernelLoopbackTcpBenchmark(IReadOnlyList<TcpBulkTransferBenchmark> compared) : IBenchmarkWorkload
{
    public string Title => "TCP bulk transfer, our stack against the Linux kernel's loopback (in-process socket pair), side by side in pairs";

    /// <summary>How long each of our fresh worlds warms up inside the pairs (at most the settings' warm-up time).</summary>
    public static readonly Duration PerWorldWarmup = Duration.FromMilliseconds(250);

    /// <summary>Rounds of side-by-side pairs; the ratios are their medians.</summary>
    public static int Pairs(BenchmarkSettings settings) => settings.IsQuick ? 5 : 7;

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        long measured = Math.Max(settings.MeasuredFrames * 107, 16L << 20);
        Transfer(Math.Max(settings.WarmupFrames * 32, 16L << 20), out _);
        // Ours warm up until the JIT has settled, once; in the pairs each fresh world then warms up for a fixed time
        // of its own, until its pools and queues have their steady size (one pass of the warm-up bytes left the
        // parallel loop allocating 19 B per segment in the measured window).
        var ours = compared.Select(w => w.For(settings)).ToList();
        foreach (var w in ours) Warmup.Run(() => w.Run(), settings);
        var perWorld = settings.WarmupTime < PerWorldWarmup ? settings.WarmupTime : PerWorldWarmup;
        ours = ours.Select(w => w with { WarmupTime = perWorld, WarmupLimit = perWorld }).ToList();

        int pairs = Pairs(settings);
        var kernelRounds = new List<(double Wall, double PerCpu, double CriticalPath)>(pairs);
        var ourRounds = ours.Select(_ => new List<TcpBulkTransferResult>(pairs)).ToList();
        for (int round = 0; round < pairs; round++)
        {
            // Every other round ours go first, so neither side always runs on the machine the other left behind.
            if (round % 2 == 1) RunOurs(ours, ourRounds);
            kernelRounds.Add(MeasureKernel(measured));
            if (round % 2 == 0) RunOurs(ours, ourRounds);
        }

        yield return new BenchmarkFigure("tcp-kernel-loopback-gbps", kernelRounds.Max(k => k.Wall), "Gbit/s",
            $"Linux TCP payload throughput over loopback, one connection (best of {pairs}; median {Median.Of(kernelRounds.Select(k => k.Wall)):0.##})");
        yield return new BenchmarkFigure("tcp-kernel-loopback-gbps-per-cpu", kernelRounds.Max(k => k.PerCpu), "Gbit/s",
            "  same, payload per CPU-second of the process, kernel time included");
        if (kernelRounds.Max(k => k.CriticalPath) is > 0 and var critical)
            yield return new BenchmarkFigure("tcp-kernel-loopback-gbps-critical-path", critical, "Gbit/s",
                "  same, payload per second of the busier thread's CPU (sender or reader, kernel time included): the rate with a core each");
        for (int i = 0; i < ours.Count; i++)
        {
            foreach (var f in ours[i].Figures(ourRounds[i])) yield return f;
            foreach (var f in Compare(ours[i], ourRounds[i], kernelRounds)) yield return f;
        }
    }

    private static void RunOurs(List<TcpBulkTransferBenchmark> ours, List<List<TcpBulkTransferResult>> rounds)
    {
        for (int i = 0; i < ours.Count; i++) rounds[i].Add(ours[i].Run());
    }

    private static (double Wall, double PerCpu, double CriticalPath) MeasureKernel(long bytes)
    {
        var cpuBefore = Environment.CpuUsage.TotalTime;
        double wall = Transfer(bytes, out var critical);
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        return (wall, cpu > TimeSpan.Zero ? bytes * 8 / cpu.TotalSeconds / 1e9 : 0,
            critical > Duration.Zero ? bytes * 8 / critical.TotalSeconds / 1e9 : 0);
    }

    /// <summary>One of our runs against the kernel's, round by round: wall rate, per CPU-second, per second of each
    /// side's critical path; each the median of the rounds' ratios.</summary>
    private static IEnumerable<BenchmarkFigure> Compare(TcpBulkTransferBenchmark ours, List<TcpBulkTransferResult> rounds,
        List<(double Wall, double PerCpu, double CriticalPath)> kernel)
    {
        string name = ours.FigureName;
        bool goal = ours.Threads == 0 && ours.BandwidthBitsPerSecond == 0; // issue 15 goal 3: MTU 1500, and 64 KB apart
        var wall = Ratios(rounds.Select(r => r.GigabitsPerSecond), kernel.Select(k => k.Wall));
        yield return new BenchmarkFigure($"{name}-vs-kernel-ratio", Median.Of(wall), "x",
            $"{ours.Title} as a fraction of the kernel's: median of {wall.Count} side-by-side pairs ({Range(wall)})",
            goal ? "1.0" : null);
        var perCpu = Ratios(rounds.Select(r => r.GigabitsPerCpuSecond), kernel.Select(k => k.PerCpu));
        if (perCpu.Count > 0)
            yield return new BenchmarkFigure($"{name}-vs-kernel-cpu-ratio", Median.Of(perCpu), "x",
                $"  same, per CPU-second (both sides' work per byte; less sensitive to machine load; {Range(perCpu)})");
        var criticalPath = Ratios(rounds.Select(r => r.GigabitsPerCriticalPathSecond), kernel.Select(k => k.CriticalPath));
        if (criticalPath.Count > 0)
            yield return new BenchmarkFigure($"{name}-vs-kernel-critical-path-ratio", Median.Of(criticalPath), "x",
                $"  same, per second of each side's critical path (the rate with a core per thread; {Range(criticalPath)})");
    }

    /// <summary>Ours over the kernel's, round by round, where both were measured (a round without one of them, such as
    /// a critical path not measured, is left out).</summary>
    public static List<double> Ratios(IEnumerable<double> ours, IEnumerable<double> kernel) =>
        ours.Zip(kernel).Where(p => p.First > 0 && p.Second > 0).Select(p => p.First / p.Second).ToList();

    private static string Range(List<double> ratios) => ratios.Count == 0 ? "none measured" : $"{ratios.Min():0.00}-{ratios.Max():0.00}";

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
