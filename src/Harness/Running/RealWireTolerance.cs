using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>How far a time on the real wire may stray from the scenario's: the larger of 4 ms and an eighth of
/// the interval it was measured over (packetdrill's rule of thumb: a fixed floor for scheduling jitter, a
/// proportion for timers that scale with what they time). The virtual wire gets none: it is exact.</summary>
public static class RealWireTolerance
{
    public const long FloorNanoseconds = 4_000_000;

    public static long For(long intervalNanoseconds) => Math.Max(FloorNanoseconds, Math.Abs(intervalNanoseconds) / 8);

    /// <summary>How long a run on the real wire goes on after its last step, so the frames that step caused (the
    /// last ACK of a close) are recorded before windows are judged.</summary>
    public const long LingerNanoseconds = 100_000_000;

    /// <summary>How many times our own measured stall a time on the real wire may stray by. The kernel peer runs on
    /// the same loaded CPUs (its softirq work deferred to ksoftirqd) and is delayed about as much as we are, on each
    /// of the few hops between a step and what it checks (ARP, SYN, SYN-ACK): measured under a load average of 26
    /// on 2 cores, the kernel's extra delay was 1-3 times our loop's stall.</summary>
    public const int StallFactor = 4;

    /// <summary>The allowance for a measured stall of our own loop (0 when it kept time).</summary>
    public static long ForStall(long stallNanoseconds) =>
        stallNanoseconds <= 0 ? 0 : stallNanoseconds >= long.MaxValue / StallFactor ? long.MaxValue / 2 : stallNanoseconds * StallFactor;

    /// <summary>A frame window allowing for the harness's own measured stall <paramref name="stallNanoseconds"/>
    /// (see <see cref="Netstack.Drivers.Tap.LatenessMeter"/>): frames are stamped when our loop reads them and
    /// our sends leave when our timers run, so a stalled loop makes frames look later than they were. A window
    /// expecting frames gets later by <see cref="ForStall"/>; one claiming silence starts later by it (a frame from before it
    /// may have been stamped inside). A peer late by more than our own stall is still caught.</summary>
    public static (long Start, long End) AllowForStall(long start, long end, bool negated, long stallNanoseconds, long open)
    {
        if (stallNanoseconds <= 0) return (start, end);
        stallNanoseconds = ForStall(stallNanoseconds);
        if (negated) return (stallNanoseconds >= end - start ? end : start + stallNanoseconds, end);
        return (start, end == open ? end : end + Math.Min(stallNanoseconds, long.MaxValue - end));
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
            var stalled = $"{result.HarnessStallNanoseconds / (double)Duration.NanosecondsPerMillisecond:0.###} ms";
            if (doubtfulPass && attempt == MaxAttempts)
                return result with
                {
                    InconclusiveRuns = inconclusive,
                    InconclusiveReason = $"inconclusive: in all {MaxAttempts} runs it passed only allowing for the harness's own stall " +
                                         $"(up to {stalled} in the last), which could hide a difference of timing",
                };
            if ((result.Passed && !doubtfulPass) || (!result.Passed && result.HarnessStallNanoseconds <= 0) || attempt == MaxAttempts)
                return inconclusive.Count == 0 ? result : result with { InconclusiveRuns = inconclusive };
            var first = result.Failures.Count > 0 ? result.Failures[0].Report.Split('\n')[0].TrimEnd('\r') : "";
            inconclusive.Add(doubtfulPass
                ? $"run {attempt} inconclusive: it passed only allowing for the harness's own stall of up to {stalled}"
                : $"run {attempt} inconclusive: the harness stalled up to {stalled} during it; first failure: {first}");
        }
    }
}
