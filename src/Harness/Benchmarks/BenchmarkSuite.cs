namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is one more entry here: a class
/// implementing <see cref="IBenchmarkWorkload"/>, or a <see cref="DelegateWorkload"/> around a benchmark
/// that is just a method.</summary>
public static class BenchmarkSuite
{
    private static readonly TcpBulkTransferBenchmark Tcp = new();
    private static readonly TcpBulkTransferBenchmark TcpLargeFrames = new() { Mtu = 65535, FigureName = "tcp-virtual-64k" };
    // The parallel loop on a 20 µs (the lookahead), 100 Gbit/s wire, and the single loop on the same wire: with no bit
    // rate a bulk transfer's bursts alternate between the hosts window by window, and two threads would take turns.
    private const long ParallelWireBits = 100_000_000_000;
    private static readonly TcpBulkTransferBenchmark TcpPaced = new() { BandwidthBitsPerSecond = ParallelWireBits, FigureName = "tcp-virtual-100g" };
    private static readonly TcpBulkTransferBenchmark TcpParallelOne = new()
        { Threads = 1, BandwidthBitsPerSecond = ParallelWireBits, FigureName = "tcp-virtual-100g-parallel-1-thread" };
    private static readonly TcpBulkTransferBenchmark TcpParallel = new()
        { Threads = 2, BandwidthBitsPerSecond = ParallelWireBits, FigureName = "tcp-virtual-100g-parallel" };

    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
        // Our transfers run in pairs with the kernel's (their own figures and the ratios); the parallel loop on one
        // thread has no kernel counterpart.
        new KernelLoopbackTcpBenchmark([Tcp, TcpLargeFrames, TcpPaced, TcpParallel]),
        TcpParallelOne,
        new ScenarioThroughputWorkload(),
        new PacketdrillThroughputWorkload(),
        new HostScaleWorkload(),
        new ConnectionScaleWorkload(),
        new ReplayThroughputWorkload(),
    ];
}
