using Netstack.Time;
using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

public class ScenarioThroughputWorkloadTests
{
    [Test]
    public void Plays_the_repository_scenarios_and_reports_a_rate_and_a_rate_per_cpu_second()
    {
        var figures = new ScenarioThroughputWorkload(RepositoryPaths.Scenarios).Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).ToList();
        figures.Select(f => f.Name).Should().Equal("scenarios-per-second", "scenarios-per-cpu-second");
        figures[1].Value.Should().BePositive();
        figures[0].Name.Should().Be("scenarios-per-second");
        figures[0].Unit.Should().Be("1/s");
        figures[0].Value.Should().BePositive();
        figures[0].Description.Should().StartWith($"{Directory.GetFiles(RepositoryPaths.Scenarios, "*.yaml", SearchOption.AllDirectories).Length} scenarios");
    }

    [Test]
    public void An_empty_directory_gives_no_figure()
    {
        var dir = Directory.CreateTempSubdirectory("no-scenarios-").FullName;
        try
        {
            new ScenarioThroughputWorkload(dir).Run(BenchmarkSettings.Quick with { WarmupLimit = Duration.Zero }).Should().BeEmpty();
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
