namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is one more entry here: a class
/// implementing <see cref="IBenchmarkWorkload"/>, or a <see cref="DelegateWorkload"/> around a benchmark
/// that is just a method.</summary>
public static class BenchmarkSuite
{
    private static readonly TcpBulkTransferBenchmark Tcp = new();
    private static readonly TcpBulkTransferBenchmark TcpLargeFrames = new() { Mtu = 65535, FigureName = "tcp-virtual-64k" };
    // The parallel loop at the single loop's wire latency (20 µs, the lookahead): on one thread (its own cost) and two.
    private static readonly TcpBulkTransferBenchmark TcpParallelOne = new() { Threads = 1, FigureName = "tcp-virtual-parallel-1-thread" };
    private static readonly TcpBulkTransferBenchmark TcpParallel = new() { Threads = 2, FigureName = "tcp-virtual-parallel" };

    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
        Tcp,
        TcpLargeFrames,
        TcpParallelOne,
        TcpParallel,
        new KernelLoopbackTcpBenchmark(() => Tcp.Best, () => TcpLargeFrames.Best, () => TcpParallel.Best),
        new ScenarioThroughputWorkload(),
        new PacketdrillThroughputWorkload(),
        new HostScaleWorkload(),
        new ConnectionScaleWorkload(),
        new ReplayThroughputWorkload(),
    ];
}
