using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Scenarios;

/// <summary>Failing scenarios must explain themselves: the expectation, the nearest frames actually seen with
/// their virtual times, and where to look in the recording.</summary>
public class FailureReportTests
{
    private const string World = """
        wire: { latency: 1ms }
        hosts:
          a: { mac: 02:00:00:00:00:0a, ip: 192.0.2.10/24 }
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24 }
        """;

    private static ScenarioResult Run(string steps, string name = "failing")
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load($"name: {name}\n{World}\nsteps:\n{steps}", name + ".yaml", filters);
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = RepositoryPaths.FreshOutputDirectory(name) });
    }

    [Test]
    public void A_frame_at_the_wrong_time_is_shown_with_its_time_and_frame_number()
    {
        // The echo reply leaves b at 13 ms, not 12 ms.
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - at: 12ms
                expect: { frame: "icmp[icmptype] = icmp-echoreply", from: b }
            """);

        result.Passed.Should().BeFalse();
        var lines = result.FailureMessage.Split(Environment.NewLine);
        lines[0].Should().Be("failing.yaml:9:5: expected a frame matching \"icmp[icmptype] = icmp-echoreply\" from b at 0.012s; none was seen");
        lines.Should().Contain(l => l.Contains("0.013000  b      IP 192.0.2.11 > 192.0.2.10: ICMP echo reply") &&
                                    l.EndsWith("<- matches the filter, but at 0.013s, outside the window"));
        lines.Should().Contain(l => l.Contains("0.012000  a      IP 192.0.2.10 > 192.0.2.11: ICMP echo request"));
        lines[^1].Should().EndWith("failing.pcap, frame 6");
    }

    [Test]
    public void A_frame_from_the_wrong_host_says_who_sent_it()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - expect: { frame: "icmp[icmptype] = icmp-echo", from: b }
            """, "wrong-host");

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("<- matches the filter, but sent by a, not b");
        result.FailureMessage.Should().StartWith("wrong-host.yaml:9:5: expected a frame matching \"icmp[icmptype] = icmp-echo\" from b from 0.010s until the run ended at 60.000s; none was seen");
    }

    [Test]
    public void An_unwanted_frame_is_marked_and_pointed_at()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - at: 0s..
                expect: { no-frame: "icmp[icmptype] = icmp-echoreply" }
            """, "unwanted");

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("expected no frame matching \"icmp[icmptype] = icmp-echoreply\" from 0.000s until the run ended");
        result.FailureMessage.Should().Contain("; 1 did");
        result.FailureMessage.Split(Environment.NewLine).Should().Contain(l => l.StartsWith("  * #6") && l.Contains("ICMP echo reply"));
        result.FailureMessage.Should().EndWith("unwanted.pcap, frame 6");
    }

    [Test]
    public void A_wrong_count_lists_the_frames_counted()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b, count: 2 }
              - at: 0s..
                expect: { frame: "icmp[icmptype] = icmp-echo", count: 3 }
            """, "count");

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().Contain("expected exactly 3 frames matching").And.Contain("; 2 were seen");
        result.FailureMessage.Split(Environment.NewLine).Count(l => l.StartsWith("  * ")).Should().Be(2);
    }

    [Test]
    public void A_state_expectation_reports_what_it_found()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: 192.0.2.99, timeout: 5s }
              - expect: { ping: a, replies: 1 }
            """, "state");

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().StartWith(
            "state.yaml:9:5: expected ping from a: 1 reply at 3.010s; found 0 replies (1 of 1 completed: From 192.0.2.10 icmp_seq=1 Destination Host Unreachable)");
    }

    [Test]
    public void A_passing_run_reports_duration_and_frames()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - expect: { ping: a, replies: 1, rtt: 4ms }
            """, "passing");

        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Frames.Should().Be(6); // two announcements, ARP request and reply, echo request and reply
        result.VirtualTime.Should().Be(Duration.FromMilliseconds(14), "the run ends at the last live event, the echo reply; the ping's cancelled timeout does not count");
    }

    [Test]
    public void A_step_the_stack_refuses_fails_the_scenario_with_its_reason()
    {
        var result = Run("""
              - tcp-listen: b:80
              - at: 10ms
                tcp-connect: { from: a, to: b:80, as: c }
              - at: 20ms
                tcp-close: c
              - at: 30ms
                tcp-send: { conn: c, data: late }
            """, "refused-step");

        result.Passed.Should().BeFalse();
        result.FailureMessage.Should().StartWith("refused-step.yaml:12:5: tcp-send on c, \"late\": ")
            .And.Contain("shut down");
    }
}
