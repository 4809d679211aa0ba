using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Drivers.Tap;
using Netstack.Time;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>How the real-wire runner tells a late harness from a late peer: the loop's measure of its own
/// stalls, the window allowance it gives, and the re-run of a failure that happened while the harness stalled.</summary>
[TestFixture]
public class LatenessMeterTests
{
    private static Instant Ms(double ms) => Instant.FromMilliseconds(ms);

    [Test]
    public void Only_stalls_above_the_noise_are_kept_and_each_window_sees_those_overlapping_it()
    {
        var meter = new LatenessMeter();
        meter.Record(Ms(1), Ms(1.05)); // 50 µs: ordinary wake-up jitter
        meter.Record(Ms(10), Ms(17));  // 7 ms stall
        meter.Record(Ms(30), Ms(32));  // 2 ms stall
        meter.Worst.Should().Be(Duration.FromMilliseconds(7));
        meter.StallDuring(Ms(0), Ms(5)).Should().Be(Duration.Zero, "only jitter before 5 ms");
        meter.StallDuring(Ms(16), Ms(20)).Should().Be(Duration.FromMilliseconds(7));
        meter.StallDuring(Ms(18), Ms(40)).Should().Be(Duration.FromMilliseconds(2));
    }

    [Test]
    public void The_real_time_loop_measures_a_stall_of_its_own_thread_with_the_probe()
    {
        using var loop = new RealTimeEventLoop();
        loop.Lateness.StartProbe(loop);
        loop.Post(() => Thread.Sleep(30)); // the loop thread is busy (as if descheduled) for 30 ms
        loop.RunUntil(loop.Now + Duration.FromMilliseconds(100));
        loop.Lateness.Worst.Should().BeGreaterThanOrEqualTo(Duration.FromMilliseconds(25));
        loop.Lateness.Samples.Should().BeGreaterThan(10, "the probe runs every millisecond");
        loop.Lateness.StallDuring(Instant.Zero, Instant.MaxValue).Should().Be(loop.Lateness.Worst + LatenessMeter.ProbeInterval,
            "plus the probe's resolution");
    }

    [Test]
    public void A_window_expecting_a_frame_ends_later_by_the_stall_and_one_claiming_silence_starts_later()
    {
        RealWireTolerance.AllowForStall(100, 400, negated: false, 50, long.MaxValue).Should().Be((100L, 400L + 50 * RealWireTolerance.StallFactor));
        RealWireTolerance.AllowForStall(100, 400, negated: true, 50, long.MaxValue).Should().Be((100L + 50 * RealWireTolerance.StallFactor, 400L));
        RealWireTolerance.AllowForStall(100, 200, negated: true, 50, long.MaxValue).Should().Be((200L, 200L), "a silent window shrinks at most to nothing");
        RealWireTolerance.AllowForStall(100, long.MaxValue, negated: false, 50, long.MaxValue).Should().Be((100L, long.MaxValue));
        RealWireTolerance.AllowForStall(100, 200, negated: false, 0, long.MaxValue).Should().Be((100L, 200L));
    }

    private static ScenarioResult Result(bool passed, long stall) =>
        new("s", "s.yaml", 1, passed, 0, 0, null, passed ? [] : [new StepFailure(1, "s.yaml:3:5: expected x; none was seen")],
            new FrameLog()) { HarnessStallNanoseconds = stall };

    [Test]
    public void A_failure_while_the_harness_kept_time_is_a_verdict_at_once()
    {
        int runs = 0;
        var result = RealWireTolerance.RunUntilConclusive(() => { runs++; return Result(false, 0); });
        (runs, result.Passed, result.InconclusiveRuns.Count).Should().Be((1, false, 0));
    }

    [Test]
    public void A_failure_while_the_harness_stalled_is_inconclusive_and_run_again()
    {
        int runs = 0;
        var result = RealWireTolerance.RunUntilConclusive(() => ++runs < 3 ? Result(false, 12_000_000) : Result(true, 0));
        (runs, result.Passed).Should().Be((3, true));
        result.InconclusiveRuns.Should().HaveCount(2).And.AllSatisfy(l =>
            l.Should().Contain("inconclusive: the harness stalled up to 12 ms").And.Contain("s.yaml:3:5: expected x"));
    }

    [Test]
    public void A_pass_that_must_keep_time_but_needs_the_stall_allowance_in_every_run_is_no_verdict()
    {
        int runs = 0;
        var doubtful = RealWireTolerance.RunUntilConclusive(() => { runs++; return Result(true, 300_000_000) with { NeededStallAllowance = true }; },
            passMustKeepTime: true);
        (runs, doubtful.Passed).Should().Be((RealWireTolerance.MaxAttempts, true));
        doubtful.InconclusiveReason.Should().Be($"inconclusive: in all {RealWireTolerance.MaxAttempts} runs it passed only allowing for the " +
                                                "harness's own stall (up to 300 ms in the last), which could hide a difference of timing");
        runs = 0;
        var quietAtLast = RealWireTolerance.RunUntilConclusive(() => ++runs < 3
            ? Result(true, 300_000_000) with { NeededStallAllowance = true } : Result(true, 0), passMustKeepTime: true);
        (runs, quietAtLast.Passed, quietAtLast.InconclusiveReason).Should().Be((3, true, (string?)null));
        RealWireTolerance.RunUntilConclusive(() => Result(true, 300_000_000) with { NeededStallAllowance = true })
            .InconclusiveReason.Should().BeNull("a pass need not keep time unless asked");
    }

    [Test]
    public void A_peer_that_fails_every_run_fails_after_the_last_attempt_even_when_the_harness_stalled()
    {
        int runs = 0;
        var result = RealWireTolerance.RunUntilConclusive(() => { runs++; return Result(false, 3_000_000); });
        (runs, result.Passed).Should().Be((RealWireTolerance.MaxAttempts, false));
        result.InconclusiveRuns.Should().HaveCount(RealWireTolerance.MaxAttempts - 1);
    }
}
