namespace Netstack.Harness.Benchmarks;

/// <summary>Every workload `harness bench` runs, in order. A new figure is one more entry here: a class
/// implementing <see cref="IBenchmarkWorkload"/>, or a <see cref="DelegateWorkload"/> around a benchmark
/// that is just a method.</summary>
public static class BenchmarkSuite
{
    private static readonly TcpBulkTransferBenchmark Tcp = new();
    private static readonly TcpBulkTransferBenchmark TcpLargeFrames = new() { Mtu = 65535, FigureName = "tcp-virtual-64k" };

    public static IReadOnlyList<IBenchmarkWorkload> Workloads { get; } =
    [
        new FrameThroughputWorkload(),
        Tcp,
        TcpLargeFrames,
        new KernelLoopbackTcpBenchmark(() => Tcp.Best, () => TcpLargeFrames.Best),
        new ScenarioThroughputWorkload(),
        new PacketdrillThroughputWorkload(),
        new HostScaleWorkload(),
        new ConnectionScaleWorkload(),
        new ReplayThroughputWorkload(),
    ];
}
