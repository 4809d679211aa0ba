using System.Diagnostics;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Benchmarks;

/// <summary>Scenarios per second: every scenario under a directory (default: the repository's
/// scenarios/), loaded once, then played and judged over and over with in-memory recording.</summary>
public sealed class ScenarioThroughputWorkload(string? directory = null) : IBenchmarkWorkload
{
    public string Title => "Scenario engine: every scenario in scenarios/, recorded in memory";

    public IEnumerable<BenchmarkFigure> Run(BenchmarkSettings settings)
    {
        var dir = directory ?? FindScenarioDirectory();
        if (dir is null) yield break; // run outside the repository: nothing to measure
        using var filters = new FrameFilterCache();
        var scenarios = ScenarioFiles.Find([dir]).Where(f => !ScenarioFiles.IsPacketdrillScript(f)).Select(f => ScenarioLoader.LoadFile(f, filters)).ToList();
        if (scenarios.Count == 0) yield break;
        var runner = new ScenarioRunner();
        var options = new RunOptions { OutputDirectory = null };

        int failed = RunAll(runner, scenarios, options); // warm-up, and a check that they pass
        if (failed > 0)
            throw new InvalidOperationException($"{failed} scenario(s) in {dir} fail; fix them before benchmarking");
        var window = Duration.FromSeconds(settings.IsQuick ? 1 : 3);
        long runs = 0;
        long start = Stopwatch.GetTimestamp();
        while (Duration.FromTimeSpan(Stopwatch.GetElapsedTime(start)) < window)
        {
            RunAll(runner, scenarios, options);
            runs += scenarios.Count;
        }
        var elapsed = Stopwatch.GetElapsedTime(start);
        yield return new BenchmarkFigure("scenarios-per-second", runs / elapsed.TotalSeconds, "1/s",
            $"{scenarios.Count} scenarios played and judged, recording in memory");
    }

    private static int RunAll(ScenarioRunner runner, List<Scenario> scenarios, RunOptions options)
    {
        int failed = 0;
        foreach (var s in scenarios)
            if (!runner.Run(s, options).Passed) failed++;
        return failed;
    }

    /// <summary>scenarios/ in the current directory or the nearest parent holding Harness.sln.</summary>
    internal static string? FindScenarioDirectory()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                var candidate = Path.Combine(d.FullName, "scenarios");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(d.FullName, "Harness.sln"))) return candidate;
            }
        return null;
    }
}
