using System.Text.Json;
using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Harness.Hosts;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The step table (<see cref="StepCatalog"/>) is what the loader dispatches on; the JSON Schema editors
/// use and docs/scenarios.md must describe the same steps, written the same way, with the same keys.</summary>
public class StepCatalogTests
{
    private static readonly JsonElement Step = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "scenario.schema.json")))
        .RootElement.GetProperty("definitions").GetProperty("step").GetProperty("properties");

    private static readonly string Docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "scenarios.md"));

    private static IEnumerable<string> Properties(JsonElement e) => e.GetProperty("properties").EnumerateObject().Select(p => p.Name);

    private static IEnumerable<TestCaseData> Actions() =>
        StepCatalog.Actions.Where(a => a.Name != "expect").Select(a => new TestCaseData(a.Name).SetName($"Schema_writes_{a.Name}_as_the_loader_reads_it"));

    [TestCaseSource(nameof(Actions))]
    public void Schema_form_and_keys_match_the_table(string name)
    {
        var kind = StepCatalog.Action(name)!;
        var schema = Step.GetProperty(name);
        switch (kind.Form)
        {
            case StepForm.Scalar:
                schema.GetProperty("type").GetString().Should().Be("string");
                break;
            case StepForm.Mapping:
                schema.GetProperty("type").GetString().Should().Be("object");
                Properties(schema).Should().BeEquivalentTo(kind.Keys!);
                break;
            default:
                var forms = schema.GetProperty("oneOf").EnumerateArray().ToList();
                forms.Select(f => f.GetProperty("type").GetString()).Should().BeEquivalentTo(["string", "object"]);
                Properties(forms.Single(f => f.GetProperty("type").GetString() == "object")).Should().BeEquivalentTo(kind.Keys!);
                break;
        }
    }

    [Test]
    public void Schema_expect_has_exactly_the_keys_of_every_expectation_kind()
    {
        var keys = StepCatalog.Expectations.SelectMany(e => e.Keys ?? [e.Name]).Distinct();
        Properties(Step.GetProperty("expect")).Should().BeEquivalentTo(keys);
    }

    /// <summary>Headings name steps like "### tcp-send, tcp-close, tcp-abort" or "### frame / no-frame".</summary>
    private static HashSet<string> DocumentedUnder(string section)
    {
        var start = Docs.IndexOf($"\n## {section}\n", StringComparison.Ordinal);
        start.Should().BeGreaterThan(0, $"docs/scenarios.md has a section '## {section}'");
        var end = Docs.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var text = end < 0 ? Docs[start..] : Docs[start..end];
        return Regex.Matches(text, @"^### (.+)$", RegexOptions.Multiline)
            .SelectMany(m => m.Groups[1].Value.Split([",", "/"], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet();
    }

    [Test]
    public void Docs_have_a_section_for_every_step_and_nothing_else()
    {
        DocumentedUnder("Actions").Should().BeEquivalentTo(StepCatalog.ActionNames.Where(n => n != "expect"));
        DocumentedUnder("Expectations").Should().BeEquivalentTo(StepCatalog.ExpectationNames);
    }

    /// <summary>Each key is written in code style somewhere, as <c>`key`</c> or <c>`key: value`</c>.</summary>
    [Test]
    public void Docs_mention_every_key_a_step_allows()
    {
        var missing = StepCatalog.Actions.Concat(StepCatalog.Expectations)
            .SelectMany(k => (k.Keys ?? []).Select(key => (k.Name, Key: key)))
            .Where(x => !Regex.IsMatch(Docs, $"`{Regex.Escape(x.Key)}(:[^`]*)?`"))
            .ToList();
        missing.Should().BeEmpty();
    }

    /// <summary>For each step that needs something of its host: the step written on a host whose driver cannot
    /// do it (x is a scripted peer, l is played by Linux, a is one of our stacks), and that host.</summary>
    private static readonly Dictionary<string, (string Step, char Host)> OnAnUnableHost = new()
    {
        ["ping"] = ("- ping: { from: x, to: a }", 'x'),
        ["udp-bind"] = ("- udp-bind: x:5", 'x'),
        ["udp-send"] = ("- udp-send: { from: x:5, to: a:7, data: hi }", 'x'),
        ["tcp-listen"] = ("- tcp-listen: x:80", 'x'),
        ["tcp-connect"] = ("- tcp-connect: { from: x, to: a:80, as: c }", 'x'),
        ["tcp-accept"] = ("- tcp-accept: { on: x:80, as: s }", 'x'),
        ["inject"] = ("- inject: { from: a, ip: { dst: x }, udp: { dst-port: 7 } }", 'a'),
        ["exec"] = ("- exec: { on: a, run: \"true\" }", 'a'),
        ["expect ping"] = ("- expect: { ping: x, replies: 1 }", 'x'),
        ["expect arp-cache"] = ("- expect: { arp-cache: l, has: a }", 'l'),
        ["expect udp-receive"] = ("- expect: { udp-receive: x:5, data: hi }", 'x'),
        ["expect udp-error"] = ("- expect: { udp-error: x:5 }", 'x'),
        ["expect counters"] = ("- expect: { counters: l, drop.udp-no-listener: 1 }", 'l'),
        ["expect listener"] = ("- expect: { listener: l:80, half-open: 0 }", 'l'),
        ["expect neighbor-cache"] = ("- expect: { neighbor-cache: x, address: 2001:db8::a, state: reachable }", 'x'),
        ["expect ip6-address"] = ("- expect: { ip6-address: x, address: 2001:db8::b, state: preferred }", 'x'),
    };

    [Test]
    public void A_step_on_a_host_whose_driver_cannot_do_what_it_needs_is_a_load_error_at_the_host()
    {
        var needing = StepCatalog.Actions.Where(k => k.Needs != HostAbility.None).Select(k => k.Name)
            .Concat(StepCatalog.Expectations.Where(k => k.Needs != HostAbility.None).Select(k => "expect " + k.Name));
        OnAnUnableHost.Keys.Should().BeEquivalentTo(needing, "each step that needs something of its host has a case here");
        var hosts = new Dictionary<char, HostSpec>
        {
            ['a'] = new("a", [], [], false, false, null, default),
            ['x'] = new("x", [], [], false, false, null, default) { Scripted = true },
            ['l'] = new("l", [], [], false, false, null, default) { PlayedBy = HostPlayer.Linux },
        };
        using var filters = new FrameFilterCache();
        foreach (var (name, (step, host)) in OnAnUnableHost)
        {
            hosts[host].Can(StepNeeds(name)).Should().BeFalse($"the case for {name} must use a host that cannot serve it");
            var yaml = "hosts:\n  a: { ip: 192.0.2.10/24 }\n  x: { ip: 192.0.2.99/24, scripted: true }\n" +
                       "  l: { ip: 192.0.2.11/24, played-by: linux }\nsteps:\n  " + step + "\n";
            var load = () => ScenarioLoader.Load(yaml, "needs.yaml", filters);
            var error = load.Should().Throw<ScenarioFormatException>(name).Which;
            int column = 2 + Regex.Match(step, $"(?<=: ){host}(?=[:, }}])").Index + 1;
            error.Location.Should().Be(new SourceLocation("needs.yaml", 6, column), $"{name}: {error.Message}");
            error.Problem.Should().StartWith($"host '{host}'", name);
        }
    }

    private static HostAbility StepNeeds(string name) => name.StartsWith("expect ", StringComparison.Ordinal)
        ? StepCatalog.Expectation(name["expect ".Length..])!.Needs
        : StepCatalog.Action(name)!.Needs;
}
