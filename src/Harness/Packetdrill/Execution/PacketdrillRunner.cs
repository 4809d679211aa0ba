using Netstack.Harness.Linux;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Packetdrill.Execution;

/// <summary>A script read and checked for running: its analysis, or the located reasons it cannot run (parse
/// errors, semantic errors, lines our stack cannot execute). <c>harness run</c> refuses the whole run (exit 2) when
/// any script has them, before a packet is sent, as it does for a broken YAML file.</summary>
public sealed record LoadedScript(string File, string Name, ScriptAnalysis? Analysis, IReadOnlyList<string> Errors)
{
    /// <summary>Who plays the local side (a <c>// played-by:</c> comment), or null for our stack / the run's wire.</summary>
    public PacketdrillPlayer? Player { get; init; }

    /// <param name="onKernel">The run is on the tap wire, where the Linux kernel plays the local side: lines are
    /// accepted by what the runner can hand to the kernel (a <c>played-by: linux</c> comment says the same).</param>
    /// <param name="commandLine">packetdrill command-line flags (<see cref="CommandLineOptions"/>): they come after
    /// the script's own header lines, so they win, as on packetdrill's command line.</param>
    public static LoadedScript Load(string file, bool onKernel = false, IReadOnlyList<HeaderOption>? commandLine = null)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        var parsed = PacketdrillParser.ParseFile(file);
        if (!parsed.Succeeded) return new LoadedScript(file, name, null, parsed.Errors.Select(e => e.ToString()).ToList());
        if (commandLine is { Count: > 0 }) parsed = parsed with { Script = parsed.Script with { Options = [.. parsed.Script.Options, .. commandLine] } };
        PacketdrillPlayer? player;
        try
        {
            player = PacketdrillPlayer.Read(file);
        }
        catch (FormatException e)
        {
            return new LoadedScript(file, name, null, [e.Message]);
        }
        onKernel = player is null ? onKernel : player.IsLinux;
        var analysis = PacketdrillAnalyzer.Analyze(parsed.Script, onKernel);
        var errors = analysis.Errors.Select(e => e.ToString())
            .Concat(player?.Errors(parsed.Script) ?? [])
            .Concat(analysis.Unsupported.Select(u => $"{u.Location}: not supported: {u.Reason}")).ToList();
        return new LoadedScript(file, name, errors.Count == 0 ? analysis : null, errors) { Player = player };
    }
}

/// <summary>Runs a packetdrill script on our stack on the virtual wire and judges it like a YAML scenario: PASS or
/// FAIL with <c>file:line:col</c> of the failing line and the frames around it, a recording like YAML runs make,
/// and Python blocks / shell commands counted as skipped, never as passed.</summary>
public static class PacketdrillRunner
{
    private static bool _kernelPathWarm;

    /// <summary>Runs the script. On the real wire a failed run during which our own loop was measurably late around
    /// the failing line is inconclusive and run again (<see cref="RealWireTolerance.RunUntilConclusive"/>), the rule
    /// YAML scenarios follow: a late harness must not be reported as a late kernel.</summary>
    public static ScenarioResult Run(LoadedScript script, RunOptions options, bool anyOptionLayout = false)
    {
        // A script that names who plays its local side runs on the real wire whatever --wire says.
        if (script.Player is not null) options = options with { Wire = ScenarioWire.Tap };
        if (options.Wire != ScenarioWire.Tap) return RunOnce(script, options, anyOptionLayout);
        return RealWireTolerance.RunUntilConclusive(() => RunOnce(script, options, anyOptionLayout));
    }

    private static ScenarioResult RunOnce(LoadedScript script, RunOptions options, bool anyOptionLayout)
    {
        var analysis = script.Analysis ?? throw new ArgumentException($"{script.File} has errors and cannot run");
        if (options.Wire == ScenarioWire.Tap && script.Player is not { IsExternal: true } && !_kernelPathWarm)
        {
            // The first run in a process compiles (JIT) the runner's and the kernel socket paths, tens of ms that
            // would make the first lines late: run the first script once, in a namespace of its own, and discard it.
            _kernelPathWarm = true;
            JitWarmUp.PrepareOnce();
            RunOnce(script, options with { OutputDirectory = null }, anyOptionLayout);
        }
        ulong seed = options.Seed ?? 1;
        string? path = options.OutputDirectory is { } dir
            ? Path.Combine(dir, script.Name + (options.Format == CaptureFormat.PcapNg ? ".pcapng" : ".pcap"))
            : null;
        if (options.OutputDirectory is { } outDir) Directory.CreateDirectory(outDir);
        using var realWire = options.Wire == ScenarioWire.Tap ? new RealWireSession() : null;
        using var pcap = path is not null && options.Format == CaptureFormat.Pcap ? new PcapFileSink(path) : null;
        using var run = new PacketdrillRun(analysis, seed, pcap, anyOptionLayout, realWire?.Loop,
            script.Player is { IsExternal: true } p ? p : null, options.Personality);
        realWire?.StartClock(pcap);
        realWire?.Loop.Lateness.StartProbe(realWire.Loop); // measures our own stalls while the lines play
        using (realWire is null ? null : LoopThreadScheduling.Raise())
        using (realWire is null ? null : new NoCollectionScope())
            run.Play();
        realWire?.Loop.Lateness.StopProbe();
        if (path is not null && options.Format == CaptureFormat.PcapNg)
            PcapNgWriter.Write(path, run.Log.Frames, [("local", "wire"), ("remote", "wire")], realWire?.Loop.EpochUnixNanoseconds ?? PcapFileSink.Epoch * Duration.NanosecondsPerSecond);
        var failures = run.Failures.Select((f, i) => new StepFailure(i, f)).ToList();
        return new ScenarioResult(script.Name, script.File, seed, failures.Count == 0, Duration.FromMicroseconds(run.NowMicros), run.Log.Count, path, failures, run.Log)
        {
            TcpRetransmissions = run.Stack?.Counters.TcpRetransmissions ?? 0,
            Wire = options.Wire,
            SkippedAssertions = run.Skipped,
            HarnessStall = run.StallAtFailure,
        };
    }

    /// <summary>No garbage collection while the lines play, when the runtime can promise it for what a script
    /// allocates (frames, logs): a blocking collection is milliseconds the kernel on the wire does not wait for.</summary>
    private sealed class NoCollectionScope : IDisposable
    {
        private const long Budget = 64L * 1024 * 1024;
        private readonly bool _started;

        public NoCollectionScope()
        {
            try
            {
                _started = GC.TryStartNoGCRegion(Budget);
            }
            catch (InvalidOperationException)
            {
                _started = false; // already in one (a nested warm-up run)
            }
        }

        public void Dispose()
        {
            if (!_started) return;
            try
            {
                GC.EndNoGCRegion();
            }
            catch (InvalidOperationException)
            {
                // The budget ran out and a collection happened after all: nothing to end.
            }
        }
    }
}
