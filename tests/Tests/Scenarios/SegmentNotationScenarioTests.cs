using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>YAML in packetdrill's segment notation: a scripted peer x injects on the scenario's connection, b's
/// stack is checked segment by segment, in order under <c>strict:</c>; mistakes point into the string.</summary>
public class SegmentNotationScenarioTests
{
    private const string World = """
        wire: { latency: 1ms }
        hosts:
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24, gratuitous-arp: false }
          x: { scripted: true, mac: 02:00:00:00:00:99, ip: 192.0.2.99/24 }
        connection: [x:5555, b:80]
        """;

    private const string Handshake = """
          - tcp-listen: b:80
          - tcp-accept: { on: b:80, as: s }
          - at: 10ms
            inject: { from: x, tcp: "S 0:0(0) win 8192 <mss 1000,sackOK,nop,nop,nop,wscale 0>" }
          - at: 13ms
            expect: { from: b, tcp: "S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 3>" }
          - at: 20ms
            inject: { from: x, tcp: ". 1:1(0) ack 1 win 8192" }
          - at: 21ms
            expect: { tcp-state: s, state: established }

        """;

    private static Scenario Load(string name, string top, string steps)
    {
        using var filters = new FrameFilterCache();
        return ScenarioLoader.Load($"name: {name}\n{World}\n{top}steps:\n{steps}", name + ".yaml", filters);
    }

    private static ScenarioResult Run(string name, string steps, string top = "") =>
        new ScenarioRunner().Run(Load(name, top, steps), new RunOptions { OutputDirectory = null });

    [Test]
    public void A_handshake_written_in_notation_passes_and_b_learns_x_by_arp()
    {
        var result = Run("notation-handshake", Handshake, "strict: [b]\n");
        result.Passed.Should().BeTrue(result.FailureMessage);
        // b asked for x's MAC and the scripted peer answered: no ARP written in the scenario.
        GoldenTrace.Lines(result.Recording).Should().Contain(l => l.Contains("x      ARP, Reply 192.0.2.99 is-at 02:00:00:00:00:99"));
    }

    [Test]
    public void Data_and_sack_blocks_count_from_each_sides_isn()
    {
        var result = Run("notation-data", Handshake + """
              - at: 30ms
                inject: { from: x, tcp: "P. 1001:1501(500) ack 1 win 8192" }
              - at: 31ms
                expect: { from: b, tcp: ". 1:1(0) ack 1 win * <nop,nop,sack 1001:1501>" }
              - at: 40ms
                inject: { from: x, tcp: "P. 1:1001(1000) ack 1 win 8192", data: "" }
              - at: 41ms
                expect: { from: b, tcp: ". 1:1(0) ack 1501 win *" }
            """.Replace("data: \"\"", "data: \"" + new string('a', 1000) + "\""), "strict: [b]\n");
        result.Passed.Should().BeTrue(result.FailureMessage);
        GoldenTrace.Lines(result.Recording).Should().Contain(l => l.Contains("b      IP 192.0.2.11.80 > 192.0.2.99.5555: . 1:1(0) ack 1 win ") && l.Contains("<nop,nop,sack 1001:1501>"));
    }

    [Test]
    public void Under_strict_a_segment_no_expectation_takes_fails_the_scenario_in_notation()
    {
        // The ACK of x's data (delayed, within 200 ms) is not written.
        var result = Run("notation-strict", Handshake + """
              - at: 30ms
                inject: { from: x, tcp: "P. 1:4(3) ack 1 win 8192", data: GET }
              - at: 300ms
                expect: { tcp-receive: s, data: GET }
            """, "strict: true\n");
        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("strict: 1 TCP segment sent that no expectation took")
            .And.Contain("b      IP 192.0.2.11.80 > 192.0.2.99.5555: . 1:1(0) ack 4 win ");
    }

    [Test]
    public void Next_takes_the_hosts_next_segment_and_reports_both_when_it_differs()
    {
        var result = Run("notation-next", Handshake.Replace("""expect: { from: b, tcp: "S. 0:0(0) ack 1 win 65535 <mss 1460,nop,nop,sackOK,nop,wscale 3>" }""",
            """expect: { from: b, tcp: "S. 0:0(0) ack 1 <mss 1460,...,wscale 7>", next: true }"""));
        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("notation-next.yaml:12:5: expected the next segment from b")
            .And.Contain("b's next segment differs: options <mss 1460,nop,nop,sackOK,nop,wscale 3>, not <mss 1460,...,wscale 7>")
            .And.Contain("sent:     #");
    }

    [Test]
    public void A_syn_injected_into_the_live_connection_keeps_the_numbering()
    {
        // RFC 5961 4.2: b answers a SYN in ESTABLISHED with a challenge ACK, still 1:1(0) ack 1.
        var result = Run("notation-syn-live", Handshake + """
              - at: 30ms
                inject: { from: x, tcp: "S 500:500(0) win 8192" }
              - at: 31ms
                expect: { from: b, tcp: ". 1:1(0) ack 1" }
            """, "strict: [b]\n");
        result.Passed.Should().BeTrue(result.FailureMessage);
    }

    [Test]
    public void Listener_shows_a_half_open_connection()
    {
        var result = Run("listener-half-open", """
              - tcp-listen: b:80
              - at: 10ms
                inject: { from: x, tcp: "S 0:0(0) win 8192 <mss 1000>" }
              - at: 12ms
                expect: { listener: b:80, half-open: 1, accept-queue: 0 }
              - at: 20ms
                inject: { from: x, tcp: ". 1:1(0) ack 1 win 8192" }
              - at: 22ms
                expect: { listener: b:80, half-open: 0, accept-queue: 1 }
            """);
        result.Passed.Should().BeTrue(result.FailureMessage);
    }

    [TestCase("""inject: { from: x, tcp: "P. 1:4(3) ack 1 wim 8192" }""", "wim", "unexpected 'wim' after the segment")]
    [TestCase("""expect: { from: b, tcp: "S. 0:0(0) ack 1 <mss 1460,wscale>" }""", ">\"", "")]
    [TestCase("""inject: { from: b, tcp: ". 1:1(0) ack 1" }""", "b,", "scripted")]
    [TestCase("""inject: { from: x, tcp: ". 1:1(0) ack 1 <TS val * ecr 0>" }""", "\".", "only go in an expect")]
    [TestCase("""inject: { from: x, tcp: "P. 1:4(3) ack 1", data: GETS }""", "GETS", "'data' is 4 bytes but the segment says (3)")]
    [TestCase("""expect: { from: b, tcp: ". 1:1(0)", next: true, count: 2 }""", "count", "'next: true' takes one segment")]
    public void A_mistake_is_located_inside_the_string(string step, string at, string message)
    {
        var load = () => Load("bad", "", "  - " + step + "\n");
        var error = load.Should().Throw<ScenarioFormatException>().Which;
        // name (1), the world (2-6), steps: (7), the step (8); columns count from 1 after "  - ".
        (error.Location.Line, error.Location.Column).Should().Be((8, 4 + step.IndexOf(at, StringComparison.Ordinal) + 1), error.Message);
        if (message.Length > 0) error.Problem.Should().Contain(message);
    }

    [Test]
    public void Inject_in_notation_needs_a_connection()
    {
        using var filters = new FrameFilterCache();
        var yaml = World.Replace("connection: [x:5555, b:80]", "") + "\nsteps:\n  - inject: { from: x, tcp: \"S 0:0(0)\" }\n";
        var load = () => ScenarioLoader.Load("name: noconn\n" + yaml, "noconn.yaml", filters);
        load.Should().Throw<ScenarioFormatException>().Which.Problem.Should().Contain("needs a connection");
    }
}
