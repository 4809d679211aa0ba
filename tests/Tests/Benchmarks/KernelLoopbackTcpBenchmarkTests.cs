using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

/// <summary>Our TCP transfers against the kernel's loopback: ratios are medians of rounds measured side by side, not
/// one best-of divided by another best-of measured at another moment. Speed is reported by `./harness bench`, not
/// asserted here.</summary>
public class KernelLoopbackTcpBenchmarkTests
{
    [Test]
    public void A_ratio_is_the_median_of_the_rounds_ratios_not_the_ratio_of_the_bests()
    {
        // Round 2 caught the kernel slow, round 3 caught it fast: best over best would say 14 / 30.
        var ratios = KernelLoopbackTcpBenchmark.Ratios([10, 12, 14], [20, 10, 30]);
        ratios.Should().Equal([0.5, 1.2, 14.0 / 30], (a, b) => Math.Abs(a - b) < 1e-12);
        Median.Of(ratios).Should().Be(0.5);
    }

    [Test]
    public void Rounds_where_either_side_was_not_measured_are_left_out()
    {
        KernelLoopbackTcpBenchmark.Ratios([10, 0, 14], [20, 10, 0]).Should().Equal(0.5);
        Median.Of([]).Should().Be(0);
        Median.Of([3, 1, 4, 2]).Should().Be(2.5);
    }

    [Test]
    public void It_reports_the_kernel_then_each_of_ours_with_its_ratios()
    {
        var settings = new BenchmarkSettings
        {
            WarmupFrames = 100_000, MeasuredFrames = 100_000, Rounds = 1, WarmupTime = Duration.Zero, WarmupLimit = Duration.Zero,
        };
        var figures = new KernelLoopbackTcpBenchmark([new TcpBulkTransferBenchmark()]).Run(settings).ToList();
        figures.Select(f => f.Name).Should().Equal(
            "tcp-kernel-loopback-gbps", "tcp-kernel-loopback-gbps-per-cpu", "tcp-kernel-loopback-gbps-critical-path",
            "tcp-virtual-gbps", "tcp-virtual-gbps-per-cpu", "tcp-virtual-bytes-per-segment",
            "tcp-virtual-vs-kernel-ratio", "tcp-virtual-vs-kernel-cpu-ratio", "tcp-virtual-vs-kernel-critical-path-ratio");
        figures.Where(f => f.Unit is "Gbit/s" or "x").Should().OnlyContain(f => f.Value > 0);
        figures.Single(f => f.Name == "tcp-virtual-vs-kernel-ratio").Description
            .Should().Contain($"median of {KernelLoopbackTcpBenchmark.Pairs(settings)} side-by-side pairs");
    }
}
