using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;

namespace Netstack.Harness.Benchmarks;

/// <summary>Scenarios per second: every scenario under a directory (default: the repository's
/// scenarios/), loaded once, then played and judged over and over with in-memory recording.</summary>
public sealed class ScenarioThroughputWorkload(string? directory = null) : IBenchmarkWorkload
{
    public string Title => "Scenario engine: every scenario in scenarios/, recorded in memory";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var dir = directory ?? RepositoryDirectory.Find("scenarios");
        if (dir is null) yield break; // run outside the repository: nothing to measure
        using var filters = new FrameFilterCache();
        var scenarios = ScenarioFiles.Find([dir]).Where(f => !ScenarioFiles.IsPacketdrillScript(f)).Select(f => ScenarioLoader.LoadFile(f, filters)).ToList();
        if (scenarios.Count == 0) yield break;
        var runner = new ScenarioRunner();
        var options = new RunOptions { OutputDirectory = null };

        int failed = RunAll(runner, scenarios, options); // a check that they pass
        if (failed > 0)
            throw new InvalidOperationException($"{failed} scenario(s) in {dir} fail; fix them before benchmarking");
        Warmup.Run(() => RunAll(runner, scenarios, options), settings);
        var measured = ThroughputWindow.Measure(() =>
        {
            RunAll(runner, scenarios, options);
            return scenarios.Count;
        }, settings);
        yield return new BenchmarkFigure("scenarios-per-second", measured.PerSecond, "1/s",
            $"{scenarios.Count} scenarios played and judged, recording in memory", ">= 2000");
        if (measured.PerCpuSecond is { } perCpuSecond)
            yield return new BenchmarkFigure("scenarios-per-cpu-second", perCpuSecond, "1/s",
                "  same, per CPU-second of the process (less sensitive to machine load)");
    }

    private static int RunAll(ScenarioRunner runner, List<Scenario> scenarios, RunOptions options)
    {
        int failed = 0;
        foreach (var s in scenarios)
            if (!runner.Run(s, options).Passed) failed++;
        return failed;
    }
}
