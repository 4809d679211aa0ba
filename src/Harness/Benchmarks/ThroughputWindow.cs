using System.Diagnostics;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>The measured window of a throughput workload: passes over a fixed set of work (scenarios, scripts,
/// captures) repeated for 1 s (quick) or 3 s after the warm-up, and the items they handled.</summary>
/// <param name="Items">Items handled in the window (the passes' counts added up).</param>
/// <param name="Elapsed">Wall-clock time of the window.</param>
/// <param name="Cpu">CPU time of the whole process (user + kernel) over the window.</param>
public readonly record struct ThroughputWindow(long Items, Duration Elapsed, Duration Cpu)
{
    /// <summary>Calls <paramref name="pass"/>, which returns how many items it handled, until the window is over.</summary>
    public static ThroughputWindow Measure(Func<long> pass, BenchmarkSettings settings)
    {
        var window = Duration.FromSeconds(settings.IsQuick ? 1 : 3);
        long items = 0;
        var cpuBefore = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        while (Duration.FromTimeSpan(Stopwatch.GetElapsedTime(start)) < window) items += pass();
        var elapsed = Stopwatch.GetElapsedTime(start);
        var cpu = Environment.CpuUsage.TotalTime - cpuBefore;
        return new ThroughputWindow(items, Duration.FromTimeSpan(elapsed), Duration.FromTimeSpan(cpu));
    }

    /// <summary>Items per wall-clock second.</summary>
    public double PerSecond => Items / Elapsed.TotalSeconds;

    /// <summary>Items per CPU-second of the process, less sensitive to machine load; null when no CPU time was
    /// measured.</summary>
    public double? PerCpuSecond => Cpu > Duration.Zero ? Items / Cpu.TotalSeconds : null;
}
