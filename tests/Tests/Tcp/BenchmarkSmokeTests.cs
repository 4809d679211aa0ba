using Netstack.Time;
using FluentAssertions;
using Netstack.Harness.Benchmarks;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>The benchmark workload runs and its data path does not allocate. Speed is reported by
/// `./harness bench`, not asserted here.</summary>
public class BenchmarkSmokeTests
{
    [Test]
    public void Bulk_transfer_benchmark_moves_data_with_zero_allocations_per_segment()
    {
        var result = new TcpBulkTransferBenchmark { WarmupBytes = 16 << 20, MeasuredBytes = 32 << 20 }.Run();
        TestContext.Out.WriteLine(result.ToString());
        result.Segments.Should().BeGreaterThan((32 << 20) / 1460);
        // Any per-segment allocation costs at least an object header (24 bytes); one-off growth of a pool
        // or queue inside the window would show as a small fraction of a byte.
        result.BytesAllocatedPerSegment.Should().BeLessThan(1);
        result.Retransmissions.Should().Be(0, "the wire is perfect");
    }

    [Test]
    public void As_a_bench_workload_it_reports_throughput_and_allocation_figures()
    {
        var figures = new TcpBulkTransferBenchmark()
            .Run(new BenchmarkSettings { WarmupFrames = 100_000, MeasuredFrames = 100_000, Rounds = 1, WarmupLimit = Duration.Zero }).ToList();
        figures.Select(f => (f.Name, f.Unit)).Should().Equal(("tcp-virtual-gbps", "Gbit/s"), ("tcp-virtual-gbps-per-cpu", "Gbit/s"),
            ("tcp-virtual-bytes-per-segment", "B/segment"));
        figures[0].Value.Should().BePositive();
        figures[1].Value.Should().BePositive();
        figures[2].Value.Should().BeLessThan(1);
    }

    [Test]
    public void With_64_KB_frames_it_reports_its_own_figures()
    {
        var figures = new TcpBulkTransferBenchmark { Mtu = 65535, FigureName = "tcp-virtual-64k" }
            .Run(new BenchmarkSettings { WarmupFrames = 100_000, MeasuredFrames = 100_000, Rounds = 1, WarmupLimit = Duration.Zero }).ToList();
        figures.Select(f => f.Name).Should().Equal("tcp-virtual-64k-gbps", "tcp-virtual-64k-gbps-per-cpu", "tcp-virtual-64k-bytes-per-segment");
        // Allocation is not asserted: in a window this short (16 MiB, ~260 segments) the pools still grow for 64 KB
        // frames once; a full bench run reports 0 B/segment.
        figures[0].Value.Should().BePositive();
        figures[1].Value.Should().BePositive();
    }
}
