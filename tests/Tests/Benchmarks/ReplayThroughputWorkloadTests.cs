using Netstack.Time;
using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

public class ReplayThroughputWorkloadTests
{
    [Test]
    public void Replays_the_shipped_captures_and_reports_one_rate()
    {
        var figures = new ReplayThroughputWorkload(Path.Combine(RepositoryPaths.Root, "captures")).Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).ToList();

        figures.Should().ContainSingle();
        figures[0].Name.Should().Be("replay-frames-per-second");
        figures[0].Unit.Should().Be("frames/s");
        figures[0].Value.Should().BePositive();
        figures[0].Description.Should().StartWith("2 captures");
    }

    [Test]
    public void A_directory_without_the_captures_gives_no_figure()
    {
        var dir = Directory.CreateTempSubdirectory("no-captures-").FullName;
        try
        {
            new ReplayThroughputWorkload(dir).Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).Should().BeEmpty();
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
