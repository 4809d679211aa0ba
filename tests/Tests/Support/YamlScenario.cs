using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;

namespace Netstack.Tests.Support;

/// <summary>A scenario written in a test as YAML text, loaded as <c>NAME.yaml</c> and run on the virtual wire
/// without a recording on disk.</summary>
public static class YamlScenario
{
    public static ScenarioResult Run(string name, string yaml)
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load($"name: {name}\n{yaml}", name + ".yaml", filters);
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
    }
}
