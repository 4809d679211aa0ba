namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is one more entry here: a class
/// implementing <see cref="IBenchmarkWorkload"/>, or a <see cref="DelegateWorkload"/> around a benchmark
/// that is just a method (as TCP is below).</summary>
public static class BenchmarkSuite
{
    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
        new DelegateWorkload("TCP bulk transfer between two stacks (MTU 1500, 20 us latency)", s =>
        {
            var r = new TcpBulkTransferBenchmark
            {
                WarmupBytes = s.IsQuick ? 16L << 20 : 64L << 20,
                MeasuredBytes = s.IsQuick ? 256L << 20 : 1L << 30,
            }.Run();
            return
            [
                new BenchmarkFigure("tcp_gbit_per_second", r.GigabitsPerSecond, "Gbit/s", "TCP payload throughput, one connection"),
                new BenchmarkFigure("tcp_alloc_bytes_per_segment", r.BytesAllocatedPerSegment, "B/segment",
                    "TCP allocation per segment in steady state", "0"),
            ];
        }),
        new ScenarioThroughputWorkload(),
    ];
}
