using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Scenarios;

/// <summary>The throughput helper behind BENCH scenarios-per-second counts whole rounds and failures (its
/// numbers are for the benchmark, not asserted here).</summary>
public class ScenarioThroughputTests
{
    [Test]
    public void Plays_whole_rounds_of_the_shipped_scenarios_without_failures()
    {
        using var filters = new FrameFilterCache();
        var scenarios = ShippedScenarios.Files().Select(f => ShippedScenarios.Load(f, filters)).ToList();

        var m = ScenarioThroughput.Measure(scenarios, Duration.Zero);

        m.Runs.Should().Be(scenarios.Count, "one round when no minimum time is asked");
        m.Failures.Should().Be(0);
        m.PerSecond.Should().BePositive();
    }
}
