using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

public class ScenarioThroughputWorkloadTests
{
    [Test]
    public void Plays_the_repository_scenarios_and_reports_one_rate()
    {
        var figures = new ScenarioThroughputWorkload(RepositoryPaths.Scenarios).Run(BenchmarkSettings.Quick).ToList();
        figures.Should().ContainSingle();
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
            new ScenarioThroughputWorkload(dir).Run(BenchmarkSettings.Quick).Should().BeEmpty();
        }
        finally
        {
            Directory.Delete(dir);
        }
    }
}
