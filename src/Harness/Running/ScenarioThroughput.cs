using System.Diagnostics;
using Netstack.Harness.Scenarios;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>Scenarios per second of wall time, for the benchmark (<c>BENCH scenarios-per-second</c>): plays the
/// given scenarios round after round, recording to memory only, for at least <paramref name="minimum"/>.</summary>
public static class ScenarioThroughput
{
    public sealed record Measurement(int Runs, Duration Wall, int Failures)
    {
        public double PerSecond => Runs / Wall.TotalSeconds;
    }

    public static Measurement Measure(IReadOnlyList<Scenario> scenarios, Duration minimum)
    {
        if (scenarios.Count == 0) throw new ArgumentException("no scenarios to measure", nameof(scenarios));
        var runner = new ScenarioRunner();
        var options = new RunOptions { OutputDirectory = null };
        foreach (var s in scenarios) runner.Run(s, options); // warm-up: JIT, libpcap
        int runs = 0, failures = 0;
        var wall = Stopwatch.StartNew();
        do
        {
            foreach (var s in scenarios)
            {
                if (!runner.Run(s, options).Passed) failures++;
                runs++;
            }
        } while (Duration.FromTimeSpan(wall.Elapsed) < minimum);
        return new Measurement(runs, Duration.FromTimeSpan(wall.Elapsed), failures);
    }
}
