using System.Diagnostics;
using System.Runtime;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>Runs a workload before its measured window until the JIT has settled: tiered compilation promotes a
/// method to optimised code after 30 calls and a 100 ms quiet period, on a background thread that a loaded machine
/// starves, so one warm-up pass (what a fresh `bench --only` process got before) left the window measuring tier-0
/// code and the JIT itself (a scenario-engine window on a loaded 2-core machine: 4,600 methods compiled, 650 of them
/// at tier 1, the JIT 17-28% of the samples). Settled: no method compiled for a second of passes.</summary>
public static class Warmup
{
    /// <summary>How long the JIT must stay quiet before the workload counts as warm.</summary>
    public static readonly Duration Quiet = Duration.FromSeconds(1);

    /// <summary>Calls <paramref name="pass"/> at least once and until <paramref name="minimum"/> of wall time has
    /// passed and no method has been compiled for <see cref="Quiet"/>, or <paramref name="limit"/> has passed
    /// (a zero limit: exactly one pass).
    /// Returns the wall time it took.</summary>
    public static Duration Run(Action pass, BenchmarkSettings settings) => Run(pass, settings.WarmupTime, settings.WarmupLimit);

    /// <summary>As above with explicit times.</summary>
    public static Duration Run(Action pass, Duration minimum, Duration limit)
    {
        var most = limit;
        long start = Stopwatch.GetTimestamp();
        long compiled = JitInfo.GetCompiledMethodCount();
        var lastCompile = Duration.Zero;
        while (true)
        {
            pass();
            var elapsed = Duration.FromTimeSpan(Stopwatch.GetElapsedTime(start));
            long now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                lastCompile = elapsed;
            }
            if ((elapsed >= minimum && elapsed - lastCompile >= Quiet) || elapsed >= most) return elapsed;
        }
    }
}
