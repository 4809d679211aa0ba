using System.Text.Json;
using FluentAssertions;
using Netstack.Harness.Scenarios;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>scenarios/scenario.schema.json (for editors) must describe the same language the loader accepts:
/// every top-level key, host key, step action, expectation kind and fault.</summary>
public class SchemaTests
{
    private static readonly JsonElement Schema =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "scenario.schema.json"))).RootElement;

    private static IEnumerable<string> Properties(JsonElement e) => e.GetProperty("properties").EnumerateObject().Select(p => p.Name);

    private static JsonElement Definition(string name) => Schema.GetProperty("definitions").GetProperty(name);

    [Test]
    public void Top_level_keys_match_the_loader() =>
        Properties(Schema).Should().BeEquivalentTo(ScenarioLoader.TopKeys);

    [Test]
    public void Host_keys_match_the_loader() =>
        Properties(Definition("host")).Should().BeEquivalentTo(ScenarioLoader.HostKeys);

    [Test]
    public void Step_actions_match_the_loader() =>
        Properties(Definition("step")).Should().BeEquivalentTo(StepReader.Actions.Append("at"));

    [Test]
    public void Every_expectation_kind_is_described() =>
        Properties(Definition("step").GetProperty("properties").GetProperty("expect")).Should().Contain(StepReader.ExpectKinds);

    [Test]
    public void Every_fault_is_described() =>
        Definition("fault").GetProperty("oneOf").EnumerateArray().Select(f => f.GetProperty("required")[0].GetString())
            .Should().BeEquivalentTo(FaultReader.ActionKeys);
}
