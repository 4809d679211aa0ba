using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The scenario files under scenarios/, as NUnit test cases named after each scenario.</summary>
public static class ShippedScenarios
{
    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(RepositoryPaths.Scenarios, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal);

    /// <summary>One case per file, named after the scenario (the file name without extension).</summary>
    public static IEnumerable<TestCaseData> Cases() =>
        Files().Select(f => new TestCaseData(f).SetName(Path.GetFileNameWithoutExtension(f)));

    /// <summary>The same cases, named "scenario replays identically" for the determinism test.</summary>
    public static IEnumerable<TestCaseData> ReplayCases() =>
        Files().Select(f => new TestCaseData(f).SetName(Path.GetFileNameWithoutExtension(f) + " replays identically"));

    public static Scenario Load(string file, FrameFilterCache filters) => ScenarioLoader.LoadFile(file, filters);
}
