namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is one more entry here: a class
/// implementing <see cref="IBenchmarkWorkload"/>, or a <see cref="DelegateWorkload"/> around a benchmark
/// that is just a method. The TCP bulk-transfer benchmark, for instance, fits in as:
/// <code>
/// new DelegateWorkload("TCP bulk transfer between two stacks", s =>
/// {
///     var r = new TcpBulkTransferBenchmark { MeasuredBytes = s.IsQuick ? 256L &lt;&lt; 20 : 1L &lt;&lt; 30 }.Run();
///     return [new("tcp_gbit_per_second", r.GigabitsPerSecond, "Gbit/s", "TCP bulk transfer, MTU 1500"),
///             new("tcp_alloc_bytes_per_segment", r.BytesAllocatedPerSegment, "B/segment", "TCP allocation per segment", "0")];
/// }),
/// </code>
/// and a scenarios-per-second figure likewise wraps a timed run of the scenario engine.</summary>
public static class BenchmarkSuite
{
    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
    ];
}
