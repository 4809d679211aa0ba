namespace Netstack.Harness.Running;

/// <summary>The verdict of one scenario run, with what a person needs to investigate a failure.</summary>
public sealed record ScenarioResult(
    string Name,
    string File,
    ulong Seed,
    bool Passed,
    long VirtualNanoseconds,
    int Frames,
    string? CapturePath,
    IReadOnlyList<StepFailure> Failures,
    Netstack.Harness.Trace.FrameLog Recording)
{
    /// <summary>TCP retransmissions of all hosts together (for the per-seed table of <c>--seeds</c>).</summary>
    public long TcpRetransmissions { get; init; }
    /// <summary>Each host's own capture file (<c>--capture</c>), by host; empty when none was asked for.</summary>
    public IReadOnlyDictionary<string, string> HostCapturePaths { get; init; } = new Dictionary<string, string>();

    public ScenarioWire Wire { get; init; }

    /// <summary>Why the scenario was not run on this wire (it has no host for Linux to play); null when it ran.</summary>
    public string? SkipReason { get; init; }

    public bool Skipped => SkipReason is not null;

    /// <summary>On the real wire, the longest our own loop ran its timers late (0: never measurably late).</summary>
    public long HarnessStallNanoseconds { get; init; }
    /// <summary>Some frame window held only once widened for the harness's own measured stall.</summary>
    public bool NeededStallAllowance { get; init; }

    /// <summary>Earlier real-wire runs of this scenario that failed while the harness itself stalled, so proved
    /// nothing and were run again: one line each with the figures.</summary>
    public IReadOnlyList<string> InconclusiveRuns { get; init; } = [];

    /// <summary>Why this result is no verdict at all, or null when it is one: a pass that had to keep time
    /// (<see cref="RunOptions.PassMustKeepTime"/>) needed the stall allowance in every attempt, so a difference of
    /// timing may hide behind the harness's own lateness.</summary>
    public string? InconclusiveReason { get; init; }

    /// <summary>Assertions the run could not make (packetdrill's Python blocks, shell commands on our stack), each
    /// <c>file:line:col: what</c>: reported and counted, never passed.</summary>
    public IReadOnlyList<string> SkippedAssertions { get; init; } = [];

    /// <summary>Steps that were not played because of an earlier failure (the connection they use failed to open,
    /// the clock ran past their time while a failed step waited), in step order, each saying why.</summary>
    public IReadOnlyList<StepFailure> NotRun { get; init; } = [];

    /// <summary>The failure that was due earliest in the run's time (ties: the earlier step): usually the cause of
    /// the others. Null when the run passed.</summary>
    public StepFailure? FirstFailure => Failures.Count == 0 ? null
        : Failures.OrderBy(f => f.Due ?? Netstack.Time.Instant.MaxValue).ThenBy(f => f.StepIndex).First();

    /// <summary>All failure reports in step order, each a multi-line block starting with <c>file:line:col:</c>;
    /// with several, a first line names the first failure (so a one-line summary, like JUnit's message, shows
    /// it); then the steps that were not run, grouped by why.</summary>
    public string FailureMessage
    {
        get
        {
            var lines = new List<string>();
            if (Failures.Count > 1 && FirstFailure is { } first)
                lines.Add($"{Failures.Count} failures; the first{(first.Due is { } due ? $" (due at {Scenarios.TimeSyntax.FormatTime(due.Nanoseconds)})" : "")}: " +
                          first.Report.Split('\n')[0].TrimEnd('\r'));
            foreach (var f in Failures)
                lines.Add(Failures.Count > 1 && ReferenceEquals(f, FirstFailure) ? MarkFirst(f.Report) : f.Report);
            foreach (var group in NotRun.GroupBy(n => n.Reason))
                lines.Add($"not run, because {group.Key}: {string.Join("; ", group.Select(n => n.Report))}");
            return string.Join(Environment.NewLine, lines);
        }
    }

    /// <summary>The first line of a report, marked as the first failure.</summary>
    private static string MarkFirst(string report)
    {
        int end = report.IndexOf('\n');
        return end < 0 ? report + "  [first failure]" : report[..end].TrimEnd('\r') + "  [first failure]" + Environment.NewLine + report[(end + 1)..];
    }
}

/// <summary>One unmet expectation (or a step that could not run), with its full report.</summary>
/// <param name="StepIndex">The step's position in the file, for ordering.</param>
/// <param name="Report">For a failure, the report (first line <c>file:line:col: what</c>); for a step not run,
/// <c>file:line:col step</c>.</param>
public sealed record StepFailure(int StepIndex, string Report)
{
    /// <summary>When the failing step was due in the run's time (an action's time, the start of an expectation's
    /// wait or window, the first frame a no-frame check found); null when unknown.</summary>
    public Netstack.Time.Instant? Due { get; init; }

    /// <summary>For a step not run: why (the earlier failure it depended on).</summary>
    public string? Reason { get; init; }
}
