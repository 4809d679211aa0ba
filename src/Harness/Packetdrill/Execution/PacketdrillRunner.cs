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
    public static LoadedScript Load(string file)
    {
        string name = Path.GetFileNameWithoutExtension(file);
        var parsed = PacketdrillParser.ParseFile(file);
        if (!parsed.Succeeded) return new LoadedScript(file, name, null, parsed.Errors.Select(e => e.ToString()).ToList());
        var analysis = PacketdrillAnalyzer.Analyze(parsed.Script);
        var errors = analysis.Errors.Select(e => e.ToString())
            .Concat(analysis.Unsupported.Select(u => $"{u.Location}: not supported: {u.Reason}")).ToList();
        return new LoadedScript(file, name, errors.Count == 0 ? analysis : null, errors);
    }
}

/// <summary>Runs a packetdrill script on our stack on the virtual wire and judges it like a YAML scenario: PASS or
/// FAIL with <c>file:line:col</c> of the failing line and the frames around it, a recording like YAML runs make,
/// and Python blocks / shell commands counted as skipped, never as passed.</summary>
public static class PacketdrillRunner
{
    private static bool _kernelPathWarm;

    public static ScenarioResult Run(LoadedScript script, RunOptions options, bool anyOptionLayout = false)
    {
        var analysis = script.Analysis ?? throw new ArgumentException($"{script.File} has errors and cannot run");
        if (options.Wire == ScenarioWire.Tap && !_kernelPathWarm)
        {
            // The first run in a process compiles (JIT) the runner's and the kernel socket paths, tens of ms that
            // would make the first lines late: run the first script once, in a namespace of its own, and discard it.
            _kernelPathWarm = true;
            JitWarmUp.PrepareOnce();
            Run(script, options with { OutputDirectory = null }, anyOptionLayout);
        }
        ulong seed = options.Seed ?? 1;
        string? path = options.OutputDirectory is { } dir
            ? Path.Combine(dir, script.Name + (options.Format == CaptureFormat.PcapNg ? ".pcapng" : ".pcap"))
            : null;
        if (options.OutputDirectory is { } outDir) Directory.CreateDirectory(outDir);
        using var realWire = options.Wire == ScenarioWire.Tap ? new RealWireSession() : null;
        using var pcap = path is not null && options.Format == CaptureFormat.Pcap ? new PcapFileSink(path) : null;
        using var run = new PacketdrillRun(analysis, seed, pcap, anyOptionLayout, realWire?.Loop);
        realWire?.StartClock(pcap);
        run.Play();
        if (path is not null && options.Format == CaptureFormat.PcapNg)
            PcapNgWriter.Write(path, run.Log.Frames, [("local", "wire"), ("remote", "wire")], realWire?.Loop.EpochUnixNanoseconds ?? PcapFileSink.Epoch * Duration.NanosecondsPerSecond);
        var failures = run.Failures.Select((f, i) => new StepFailure(i, f)).ToList();
        return new ScenarioResult(script.Name, script.File, seed, failures.Count == 0, run.NowMicros * 1000, run.Log.Count, path, failures, run.Log)
        {
            TcpRetransmissions = run.Stack?.Counters.TcpRetransmissions ?? 0,
            Wire = options.Wire,
            SkippedAssertions = run.Skipped,
        };
    }
}
