using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>A host's <c>stack:</c> settings (ARP, IPv4 reassembly, ICMP rate limit, TCP) reach its stack, are
/// checked with located errors, and the schema and docs describe exactly the table the loader reads.</summary>
public class StackSettingsTests
{
    private const string Duration = "^(0|\\d+(\\.\\d+)?\\s*(ns|us|µs|ms|s|m|min))$";

    /// <summary>The schema's <c>stack</c> definition as the table makes it: printed when the schema is out of date.</summary>
    private static JsonObject ExpectedSchema()
    {
        var sections = new JsonObject();
        foreach (var section in StackSettingsTable.Sections)
        {
            var properties = new JsonObject();
            foreach (var s in section.Settings)
            {
                var description = $"{section.Options.Name}.{s.Property.Name}";
                properties[s.Key] = s.ValueType == typeof(bool) ? new JsonObject { ["type"] = "boolean", ["description"] = description }
                    : s.IsTime ? new JsonObject { ["type"] = "string", ["pattern"] = Duration, ["description"] = description + " (a duration: 30s, 200ms)" }
                    : s.ValueType.IsEnum ? new JsonObject { ["enum"] = new JsonArray(Enum.GetValues(s.ValueType).Cast<object>().Select(v => (JsonNode)StackSettingsTable.EnumWord(v)).ToArray()), ["description"] = description }
                    : new JsonObject { ["type"] = "integer", ["minimum"] = s.Minimum, ["description"] = description };
            }
            sections[section.Key] = new JsonObject { ["type"] = "object", ["properties"] = properties, ["additionalProperties"] = false };
        }
        return new JsonObject
        {
            ["type"] = "object",
            ["description"] = "Settings of the host's stack that replace the defaults (docs/scenarios.md, 'Stack settings')",
            ["properties"] = sections,
            ["additionalProperties"] = false,
        };
    }

    [Test]
    public void The_schema_describes_the_table()
    {
        var schema = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "scenario.schema.json")))!["definitions"]!["stack"];
        var expected = ExpectedSchema();
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        JsonNode.DeepEquals(schema, expected).Should().BeTrue(
            $"scenarios/scenario.schema.json's definitions/stack must be (paste it):{Environment.NewLine}{expected.ToJsonString(options)}");
    }

    [Test]
    public void The_docs_name_every_setting()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "scenarios.md"));
        var missing = StackSettingsTable.Sections.SelectMany(s => s.Settings)
            .Where(s => !Regex.IsMatch(docs, $"`{Regex.Escape(s.Key)}`")).Select(s => $"{s.Section}.{s.Key}").ToList();
        missing.Should().BeEmpty();
    }

    [Test]
    public void Settings_reach_the_stack_over_the_defaults()
    {
        using var filters = new FrameFilterCache();
        // The ARP cache forgets b after 2 s, so the ping at 5 s resolves it again; with 1 request allowed and b
        // unplugged, the ping at 10 s gives up after a single request.
        var scenario = ScenarioLoader.Load("""
            hosts:
              a: { ip: 192.0.2.10/24, stack: { arp: { entry-lifetime: 2s, refresh-before-expiry: 100ms, max-requests: 1 }, tcp: { syn-retries: 2, congestion-control: cubic } } }
              b: { ip: 192.0.2.11/24 }
            steps:
              - ping: { from: a, to: b }
              - at: 5s
                ping: { from: a, to: b }
              - at: 0s..9s
                expect: { frame: "arp[6:2] = 1 and arp dst host 192.0.2.11", from: a, count: 2 }
              - at: 10s
                link-down: b
              - at: 10s
                ping: { from: a, to: b, timeout: 5s }
              - at: 10s..20s
                expect: { frame: "arp[6:2] = 1 and arp dst host 192.0.2.11", from: a, count: 1 }
            """, "stack.yaml", filters);
        var a = scenario.Hosts[0].Stack.ApplyTo(new StackOptions());
        a.Arp.MaxRequests.Should().Be(1);
        a.Tcp.SynRetries.Should().Be(2);
        a.Tcp.CongestionControl.Should().Be(Netstack.Transport.Tcp.CongestionAlgorithm.Cubic);
        a.Tcp.SynAckRetries.Should().Be(new Netstack.Transport.Tcp.TcpSettings().SynAckRetries, "what is not set keeps its default");
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
        result.Passed.Should().BeTrue(result.FailureMessage);
    }

    [Test]
    public void Mistakes_are_located_and_all_reported()
    {
        using var filters = new FrameFilterCache();
        var load = () => ScenarioLoader.Load("""
            hosts:
              a: { ip: 192.0.2.10/24, stack: { arp: { entry-lifetim: 2s, max-requests: -1 }, tcp: { initial-rto: soon, congestion-control: vegas }, udp: {} } }
              x: { ip: 192.0.2.99/24, scripted: true, stack: { arp: { max-requests: 2 } } }
            steps:
              - at: 1s
            """, "bad-stack.yaml", filters);
        load.Should().Throw<ScenarioFormatException>().Which.Errors.Select(e => e.Message).Should().Equal(
            "bad-stack.yaml:2:43: unknown key 'entry-lifetim' in 'stack: arp' of host 'a'; did you mean 'entry-lifetime'?",
            "bad-stack.yaml:2:76: 'max-requests' must be between 1 and 2147483647, found -1",
            "bad-stack.yaml:2:102: bad time 'soon' for 'initial-rto': expected a number with a unit (ns, us, ms, s, m), like 250ms or 1.5s",
            "bad-stack.yaml:2:128: unknown value 'vegas' for 'congestion-control' (expected one of: new-reno, cubic, bbr)",
            "bad-stack.yaml:2:137: unknown key 'udp' in 'stack' of host 'a' (expected one of: arp, ipv4, icmp, tcp)",
            "bad-stack.yaml:3:43: host 'x' is scripted (it has no stack), so 'stack' means nothing for it");
    }
}
