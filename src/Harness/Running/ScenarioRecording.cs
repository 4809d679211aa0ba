using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>Where a run's frames are recorded: <c>OUT/NAME.pcap</c> written as frames go by, or
/// <c>OUT/NAME.pcapng</c> written from the frame log at the end (it carries a comment per frame); nothing
/// without an output directory.</summary>
public sealed class ScenarioRecording : IDisposable
{
    private readonly Scenario _scenario;
    private readonly CaptureFormat _format;

    public ScenarioRecording(Scenario scenario, RunOptions options)
    {
        _scenario = scenario;
        _format = options.Format;
        string extension = options.Format == CaptureFormat.PcapNg ? ".pcapng" : ".pcap";
        Path = options.OutputDirectory is { } dir ? System.IO.Path.Combine(dir, scenario.Name + extension) : null;
        PcapSink = Path is null || options.Format != CaptureFormat.Pcap ? null : new PcapFileSink(Path);
    }

    /// <summary>The recording's file, or null when nothing is recorded.</summary>
    public string? Path { get; }

    /// <summary>The pcap file frames are written to as they are sent (pcap format only).</summary>
    public PcapFileSink? PcapSink { get; }

    /// <summary>Writes the pcapng file once the run is over; <paramref name="epochUnixNanoseconds"/> is the real
    /// clock's zero on the tap wire (the fixed epoch of virtual captures otherwise).</summary>
    public void Finish(ScenarioRun run, long? epochUnixNanoseconds)
    {
        if (Path is null || _format != CaptureFormat.PcapNg) return;
        PcapNgWriter.Write(Path, run.Log.Frames,
            _scenario.Hosts.SelectMany(h => h.Interfaces.Select(i => (h.Name, i.Segment))),
            epochUnixNanoseconds ?? PcapFileSink.Epoch * Duration.NanosecondsPerSecond);
    }

    public void Dispose() => PcapSink?.Dispose();
}
