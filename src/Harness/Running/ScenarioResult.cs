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

    /// <summary>Earlier real-wire runs of this scenario that failed while the harness itself stalled, so proved
    /// nothing and were run again: one line each with the figures.</summary>
    public IReadOnlyList<string> InconclusiveRuns { get; init; } = [];

    /// <summary>Assertions the run could not make (packetdrill's Python blocks, shell commands on our stack), each
    /// <c>file:line:col: what</c>: reported and counted, never passed.</summary>
    public IReadOnlyList<string> SkippedAssertions { get; init; } = [];

    /// <summary>All failure reports, each a multi-line block starting with <c>file:line:col:</c>.</summary>
    public string FailureMessage => string.Join(Environment.NewLine, Failures.Select(f => f.Report));
}

/// <summary>One unmet expectation (or a step that could not run), with its full report.</summary>
public sealed record StepFailure(int StepIndex, string Report);
