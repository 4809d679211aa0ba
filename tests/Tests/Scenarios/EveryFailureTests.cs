using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>A run reports every failing step, not only the first: it goes on after a failure, says which failure
/// was due first, and reports the steps it could not play because of an earlier failure as not run, with why.</summary>
public class EveryFailureTests
{
    private const string World = """
        wire: { latency: 1ms }
        hosts:
          a: { mac: 02:00:00:00:00:0a, ip: 192.0.2.10/24 }
          b: { mac: 02:00:00:00:00:0b, ip: 192.0.2.11/24 }
        """;

    private static ScenarioResult Run(string steps, string name)
    {
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load($"name: {name}\n{World}\nsteps:\n{steps}", name + ".yaml", filters);
        return new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = null });
    }

    [Test]
    public void Frame_checks_state_checks_and_application_steps_all_report_and_the_earliest_is_named_first()
    {
        // Line 9: the reply leaves b at 13 ms, not 12 ms (judged when the run ends, but due first).
        // Line 11: one reply, not two. Line 13: no route to 203.0.113.9. Line 14: uses the connection line 13 never opened.
        // Line 15: a check after all that passes; line 17 fails too.
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - at: 12ms
                expect: { frame: "icmp[icmptype] = icmp-echoreply", from: b }
              - at: 20ms
                expect: { ping: a, replies: 2 }
              - tcp-connect: { from: a, to: 203.0.113.9:80, as: c }
              - tcp-send: { conn: c, data: hi }
              - at: 30ms
                expect: { ping: a, replies: 1 }
              - at: 40ms
                expect: { arp-cache: a, lacks: 192.0.2.11 }
            """, "every-failure");

        result.Passed.Should().BeFalse();
        result.Failures.Select(f => f.Report.Split('\n')[0]).Should().SatisfyRespectively(
            f => f.Should().StartWith("every-failure.yaml:9:5: expected a frame matching"),
            f => f.Should().StartWith("every-failure.yaml:11:5: expected ping from a: 2 replies"),
            f => f.Should().StartWith("every-failure.yaml:13:5: tcp-connect c from a to 203.0.113.9:80: connect failed at once: no route to 203.0.113.9"),
            f => f.Should().StartWith("every-failure.yaml:17:5: expected arp cache of a: no 192.0.2.11"));
        result.FirstFailure!.Report.Should().StartWith("every-failure.yaml:9:5:", "it was due at 12 ms, before the ping check at 20 ms");
        result.NotRun.Should().ContainSingle().Which.Should().Match<StepFailure>(n =>
            n.Report == "every-failure.yaml:14:5 tcp-send on c, \"hi\"" && n.Reason!.Contains("the connection c was never opened (the step at line 13 failed)"));

        var lines = result.FailureMessage.Split(Environment.NewLine);
        lines[0].Should().StartWith("4 failures; the first (due at 0.012s): every-failure.yaml:9:5: expected a frame matching");
        lines.Should().Contain(l => l.StartsWith("every-failure.yaml:9:5:") && l.EndsWith("[first failure]"));
        lines[^1].Should().Be("not run, because the connection c was never opened (the step at line 13 failed): every-failure.yaml:14:5 tcp-send on c, \"hi\"");
    }

    [Test]
    public void A_wait_that_reaches_the_timeout_leaves_the_later_steps_not_run_but_earlier_windows_are_still_judged()
    {
        var result = Run("""
              - at: 0s..5ms
                expect: { frame: "udp" }
              - expect: { frame: "tcp" }
              - at: +1s
                ping: { from: a, to: b }
              - expect: { ping: a, replies: 1 }
            """, "timed-out");

        result.Failures.Select(f => f.Report.Split('\n')[0]).Should().SatisfyRespectively(
            f => f.Should().StartWith("timed-out.yaml:7:5: expected a frame matching \"udp\" between 0.000s and 0.005s; none was seen"),
            f => f.Should().StartWith("timed-out.yaml:9:5: expected a frame matching \"tcp\" from 0.000s until the run ended at 60.000s"));
        result.NotRun.Select(n => n.Report).Should().Equal("timed-out.yaml:10:5 ping from a to b", "timed-out.yaml:12:5 expect ping from a: 1 reply");
        result.NotRun.Should().OnlyContain(n => n.Reason == "the run reached its timeout (60.000s) while the failed step at line 9 waited");
    }

    [Test]
    public void A_passing_run_has_no_failures_and_nothing_not_run()
    {
        var result = Run("""
              - at: 10ms
                ping: { from: a, to: b }
              - expect: { ping: a, replies: 1 }
            """, "all-good");
        result.Passed.Should().BeTrue(result.FailureMessage);
        result.NotRun.Should().BeEmpty();
        result.FirstFailure.Should().BeNull();
    }
}
