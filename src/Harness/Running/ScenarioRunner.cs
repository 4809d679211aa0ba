using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>Plays a scenario in virtual time and judges it.
/// <para>Timing rules: a cursor starts at 0. An action runs at its <c>at:</c> (default: the cursor) and moves
/// the cursor there. A frame expectation with <c>at:</c> is a claim about the recording in that window, judged
/// once the run is over; without <c>at:</c> it waits for the next matching frame and moves the cursor to it.
/// A state expectation is checked at its <c>at:</c> point, or awaited within its window (default: from the
/// cursor until the scenario's timeout), and moves the cursor to when it held.</para></summary>
public sealed class ScenarioRunner
{
    /// <summary>Why <paramref name="scenario"/> does not run on <paramref name="wire"/>; null when it does. The tap
    /// wire needs a host someone other than our stack plays; an external implementation and a command run in a
    /// host's namespace exist only on the tap wire.</summary>
    public static string? SkipReason(Scenario scenario, ScenarioWire wire)
    {
        if (wire == ScenarioWire.Tap)
            return scenario.HasRealWireHost ? null
                : "no host is 'played-by: linux' (or an external implementation), so there is nothing for the kernel to play on the tap wire";
        if (scenario.ExternalHosts.FirstOrDefault() is { } external)
            return $"host '{external.Name}' is played by {external.PlayerTitle}, which runs only on the tap wire (--wire tap)";
        if (scenario.Steps.OfType<Steps.ExecStep>().FirstOrDefault() is { } exec)
            return $"the exec step at line {exec.Location.Line} runs in the namespace of a host Linux plays, which exists only on the tap wire (--wire tap)";
        return null;
    }

    /// <summary>Plays the scenario; on the real wire a failed run during which the harness itself stalled is
    /// inconclusive and played again (<see cref="RealWireTolerance.RunUntilConclusive"/>).</summary>
    public ScenarioResult Run(Scenario scenario, RunOptions options) =>
        RealWireTolerance.RunUntilConclusive(() => RunOnce(scenario, options), options.PassMustKeepTime);

    private ScenarioResult RunOnce(Scenario scenario, RunOptions options)
    {
        var seed = options.Seed ?? scenario.Seed;
        if (SkipReason(scenario, options.Wire) is { } skip)
            return new ScenarioResult(scenario.Name, scenario.File, seed, true, Duration.Zero, 0, null, [], new FrameLog()) { SkipReason = skip, Wire = options.Wire };
        if (options.Wire == ScenarioWire.Tap)
        {
            // A first run on the virtual wire compiles (JIT) every path the scenario takes, so the real-time run is
            // not tens of milliseconds late on its first frames.
            JitWarmUp.PrepareOnce();
            if (SkipReason(scenario, ScenarioWire.Virtual) is null)
                RunOnce(scenario, options with { Wire = ScenarioWire.Virtual, OutputDirectory = null });
        }
        // Disposed in reverse: the run (and with it a namespace the kernel's host lives in) goes first, even when a
        // step failed or the run was interrupted; then the recording; then the real clock.
        using var realWire = options.Wire == ScenarioWire.Tap ? new RealWireSession() : null;
        using var recording = new ScenarioRecording(scenario, options);
        using var run = new ScenarioRun(scenario, seed, recording.PcapSink, realWire?.Loop, recording.CreateHostCaptures);
        realWire?.StartClock(recording.PcapSink);
        if (realWire is not null) recording.SetEpoch(realWire.Loop.EpochUnixNanoseconds);
        realWire?.Loop.Lateness.StartProbe(realWire.Loop); // measures our own stalls while the steps run
        var player = new ScenarioPlayer(run, recording.Path, realWire?.Interruption);
        player.Play();
        recording.Finish(run, realWire?.Loop.EpochUnixNanoseconds);
        var failures = player.Failures.OrderBy(f => f.StepIndex).ToList();
        return new ScenarioResult(scenario.Name, scenario.File, seed, failures.Count == 0, run.Now - Instant.Zero, run.Log.Count,
            recording.Path, failures, run.Log)
        {
            HostCapturePaths = recording.HostPaths,
            TcpRetransmissions = run.Stacks.Sum(h => h.Counters.TcpRetransmissions),
            Wire = options.Wire,
            HarnessStall = run.HarnessStall,
            NeededStallAllowance = player.NeededStallAllowance,
            NotRun = player.NotRun.OrderBy(f => f.StepIndex).ToList(),
        };
    }
}
