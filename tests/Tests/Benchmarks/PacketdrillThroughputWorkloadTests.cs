using Netstack.Time;
using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

public class PacketdrillThroughputWorkloadTests
{
    [Test]
    public void Reports_scripts_per_second_over_the_shipped_scripts()
    {
        var figures = new PacketdrillThroughputWorkload(Path.Combine(RepositoryPaths.Scenarios, "packetdrill"))
            .Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).ToList();
        figures.Should().ContainSingle();
        figures[0].Name.Should().Be("pkt-scripts-per-second");
        figures[0].Value.Should().BePositive();
    }

    [Test]
    public void A_folder_without_scripts_gives_no_figure()
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-bench-empty");
        new PacketdrillThroughputWorkload(dir).Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).Should().BeEmpty();
    }
}
