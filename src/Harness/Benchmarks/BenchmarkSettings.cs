using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>How long each workload measures. Quick takes about a minute on the 2-core machine, the full run about 3.5.</summary>
public sealed record BenchmarkSettings
{
    /// <summary>Frames pushed through a workload before measuring, so the JIT and pools are warm.</summary>
    public long WarmupFrames { get; init; } = 2_000_000;
    /// <summary>Frames in each measured window; the best of <see cref="Rounds"/> windows is reported.</summary>
    public long MeasuredFrames { get; init; } = 5_000_000;
    public int Rounds { get; init; } = 3;
    /// <summary>Workloads measured in wall-clock windows warm up at least this long and until the JIT has settled
    /// (<see cref="Warmup"/>).</summary>
    public Duration WarmupTime { get; init; } = Duration.FromSeconds(2);
    /// <summary>The most warm-up before measuring anyway (zero: one warm-up pass, as for smoke tests).</summary>
    public Duration WarmupLimit { get; init; } = Duration.FromSeconds(60);
    /// <summary>Set for `--quick`, so workloads with their own units (bytes, scenarios) can scale down too.</summary>
    public bool IsQuick { get; init; }

    public static BenchmarkSettings Full { get; } = new();
    public static BenchmarkSettings Quick { get; } = new()
    {
        WarmupFrames = 500_000, MeasuredFrames = 1_500_000, Rounds = 2, IsQuick = true,
        WarmupTime = Duration.FromMilliseconds(500), WarmupLimit = Duration.FromSeconds(5),
    };
}
