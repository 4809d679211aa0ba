using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using NUnit.Framework;
using Snapshooter;
using Snapshooter.NUnit;

namespace Netstack.Tests.Scenarios;

/// <summary>Golden traces: each shipped scenario's recording as one line per frame, compared with the snapshot
/// committed in __snapshots__/. A behaviour change shows up as a readable diff of frames. A new scenario's
/// snapshot is written on its first run; CI sets SNAPSHOOTER_STRICT_MODE so a missing snapshot fails there.</summary>
public class GoldenTraceTests
{
    public static IEnumerable<TestCaseData> Cases() =>
        ShippedScenarios.Files().Select(f => new TestCaseData(f).SetName(Path.GetFileNameWithoutExtension(f) + " golden trace"));

    [TestCaseSource(nameof(Cases))]
    public void Trace_matches_the_committed_snapshot(string file)
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(file, filters);
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
        result.Passed.Should().BeTrue(result.FailureMessage);

        Snapshot.Match(GoldenTrace.Lines(result.Recording), $"GoldenTrace.{scenario.Name}");
    }
}
