using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>How far a time on the real wire may stray from the scenario's: the larger of 4 ms and an eighth of
/// the interval it was measured over (packetdrill's rule of thumb: a fixed floor for scheduling jitter, a
/// proportion for timers that scale with what they time). The virtual wire gets none: it is exact.</summary>
public static class RealWireTolerance
{
    public static readonly Duration Floor = Duration.FromMilliseconds(4);

    public static Duration For(Duration interval) => Duration.Max(Floor, interval.Abs() / 8);

    /// <summary>How long a run on the real wire goes on after its last step, so the frames that step caused (the
    /// last ACK of a close) are recorded before windows are judged.</summary>
    public static readonly Duration Linger = Duration.FromMilliseconds(100);

    /// <summary>How many times our own measured stall a time on the real wire may stray by. The kernel peer runs on
    /// the same loaded CPUs (its softirq work deferred to ksoftirqd) and is delayed about as much as we are, on each
    /// of the few hops between a step and what it checks (ARP, SYN, SYN-ACK): measured under a load average of 26
    /// on 2 cores, the kernel's extra delay was 1-3 times our loop's stall.</summary>
    public const int StallFactor = 4;

    /// <summary>The allowance for a measured stall of our own loop (0 when it kept time).</summary>
    public static Duration ForStall(Duration stall) =>
        stall <= Duration.Zero ? Duration.Zero
        : stall.Nanoseconds >= long.MaxValue / StallFactor ? new Duration(long.MaxValue / 2) : stall * StallFactor;

    /// <summary>A frame window allowing for the harness's own measured stall <paramref name="stall"/>
    /// (see <see cref="Netstack.Drivers.Tap.LatenessMeter"/>): frames are stamped when our loop reads them and
    /// our sends leave when our timers run, so a stalled loop makes frames look later than they were. A window
    /// expecting frames gets later by <see cref="ForStall"/>; one claiming silence starts later by it (a frame from before it
    /// may have been stamped inside). A peer late by more than our own stall is still caught.</summary>
    public static (Instant Start, Instant End) AllowForStall(Instant start, Instant end, bool negated, Duration stall, Instant open)
    {
        if (stall <= Duration.Zero) return (start, end);
        stall = ForStall(stall);
        if (negated) return (stall >= end - start ? end : start + stall, end);
        return (start, end == open ? end : end + stall); // Instant + Duration saturates at Instant.MaxValue
    }

    /// <summary>Runs on the real wire a scenario fails at most this often while the harness stalls before it is
    /// reported as failed anyway.</summary>
    public const int MaxAttempts = 8;

    /// <summary>Runs <paramref name="runOnce"/> again while it fails and the harness's own loop was measurably
    /// descheduled during it: such a failure is inconclusive (the host, not the peer, may have been late). Only a
    /// failure in a run where the harness kept time, or <see cref="MaxAttempts"/> stalled failures in a row, is a
    /// verdict; the inconclusive runs are kept on the result with their figures. With
    /// <paramref name="passMustKeepTime"/>, a pass that needed the stall allowance is inconclusive as well, and when
    /// every attempt ends so, the result says it is no verdict (<see cref="ScenarioResult.InconclusiveReason"/>):
    /// a machine that stays loaded gives no quiet slot to judge a timer in.</summary>
    public static ScenarioResult RunUntilConclusive(Func<ScenarioResult> runOnce, bool passMustKeepTime = false)
    {
        var inconclusive = new List<string>();
        for (int attempt = 1; ; attempt++)
        {
            var result = runOnce();
            bool doubtfulPass = result.Passed && passMustKeepTime && result.NeededStallAllowance;
            string Stalled() => $"{result.HarnessStall.TotalMilliseconds:0.###} ms";
            if (doubtfulPass && attempt == MaxAttempts)
                return result with
                {
                    InconclusiveRuns = inconclusive,
                    InconclusiveReason = $"inconclusive: in all {MaxAttempts} runs it passed only allowing for the harness's own stall " +
                                         $"(up to {Stalled()} in the last), which could hide a difference of timing",
                };
            if ((result.Passed && !doubtfulPass) || (!result.Passed && result.HarnessStall <= Duration.Zero) || attempt == MaxAttempts)
                return inconclusive.Count == 0 ? result : result with { InconclusiveRuns = inconclusive };
            var first = result.Failures.Count > 0 ? result.Failures[0].Report.Split('\n')[0].TrimEnd('\r') : "";
            inconclusive.Add(doubtfulPass
                ? $"run {attempt} inconclusive: it passed only allowing for the harness's own stall of up to {Stalled()}"
                : $"run {attempt} inconclusive: the harness stalled up to {Stalled()} during it; first failure: {first}");
        }
    }
}
