namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is a new workload class plus
/// one line here; see <see cref="DelegateWorkload"/> to wrap a benchmark that only exposes a method,
/// e.g. <c>new DelegateWorkload("TCP bulk transfer", s =&gt; [..figures from TcpBulkTransferBenchmark..])</c>.</summary>
public static class BenchmarkSuite
{
    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
    ];
}
