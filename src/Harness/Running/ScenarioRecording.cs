using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Drivers.Capture;
using Netstack.Time;

namespace Netstack.Harness.Running;

/// <summary>Where a run's frames are recorded: <c>OUT/NAME.pcap</c> written as frames go by, or
/// <c>OUT/NAME.pcapng</c> written from the frame log at the end (it carries a comment per frame); nothing
/// without an output directory. With <see cref="RunOptions.Capture"/>, also one file per host of what it received
/// (<c>OUT/NAME.HOST.rx.pcap</c>), sent (<c>.tx.pcap</c>) or both (<c>.rxtx.pcap</c>).</summary>
public sealed class ScenarioRecording : IDisposable
{
    private readonly Scenario _scenario;
    private readonly CaptureFormat _format;
    private readonly HostCaptureMode _hostMode;
    private readonly TcpCommentFormatter _tcpComments;
    private readonly Dictionary<string, string> _hostPaths = new(StringComparer.Ordinal);
    private readonly List<IDisposable> _hostFiles = new();
    private readonly Dictionary<string, FrameLog> _hostLogs = new(StringComparer.Ordinal);
    /// <summary>A host's sent frame in its own capture, and the same frame in the run's recording (whose step
    /// comment and fault notes it shares).</summary>
    private readonly Dictionary<CapturedFrame, CapturedFrame> _sentAs = new();

    public ScenarioRecording(Scenario scenario, RunOptions options)
    {
        _scenario = scenario;
        _format = options.Format;
        _hostMode = options.OutputDirectory is null ? HostCaptureMode.None : options.Capture;
        _tcpComments = options.TcpComments;
        string extension = options.Format == CaptureFormat.PcapNg ? ".pcapng" : ".pcap";
        Path = options.OutputDirectory is { } dir ? System.IO.Path.Combine(dir, scenario.Name + extension) : null;
        PcapSink = Path is null || options.Format != CaptureFormat.Pcap ? null : new PcapFileSink(Path);
        if (_hostMode != HostCaptureMode.None)
            foreach (var host in scenario.Hosts)
                _hostPaths[host.Name] = System.IO.Path.Combine(options.OutputDirectory!,
                    $"{scenario.Name}.{host.Name}.{Suffix(_hostMode)}{extension}");
    }

    /// <summary>The file name part that says which way a host capture looks: rx, tx or rxtx.</summary>
    public static string Suffix(HostCaptureMode mode) => mode switch
    {
        HostCaptureMode.Rx => "rx",
        HostCaptureMode.Tx => "tx",
        _ => "rxtx",
    };

    /// <summary>The recording's file, or null when nothing is recorded.</summary>
    public string? Path { get; }

    /// <summary>The pcap file frames are written to as they are sent (pcap format only).</summary>
    public PcapFileSink? PcapSink { get; }

    /// <summary>Each host's own capture file, by host (empty without <see cref="RunOptions.Capture"/>).</summary>
    public IReadOnlyDictionary<string, string> HostPaths => _hostPaths;

    /// <summary>The per-host captures for a run whose log is <paramref name="runLog"/>, or null when none are asked
    /// for. Classic pcap goes straight to each host's file as frames pass; pcapng is kept and written at the end.</summary>
    public HostCaptures? CreateHostCaptures(FrameLog runLog)
    {
        if (_hostMode == HostCaptureMode.None) return null;
        var directions = _hostMode switch
        {
            HostCaptureMode.Rx => CaptureDirections.Inbound,
            HostCaptureMode.Tx => CaptureDirections.Outbound,
            _ => CaptureDirections.Both,
        };
        return new HostCaptures(directions, host =>
        {
            var path = _hostPaths[host];
            if (_format == CaptureFormat.Pcap)
            {
                var file = new PcapFileSink(path);
                _hostFiles.Add(file);
                return file;
            }
            var log = new FrameLog(runLog);
            // The host's capture sits inside the run's: a frame the host sends is already in the run's log.
            log.OnRecorded = f =>
            {
                if (!f.Inbound && runLog.Count > 0 && runLog.Frames[^1] is var sent && sent.Host == f.Host &&
                    sent.Time == f.Time && sent.Bytes.AsSpan().SequenceEqual(f.Bytes))
                    _sentAs[f] = sent;
            };
            _hostLogs[host] = log;
            return log;
        });
    }

    /// <summary>On the tap wire, the real clock's zero: each host's pcap file is stamped with it, as the run's is.</summary>
    public void SetEpoch(long epochUnixNanoseconds)
    {
        foreach (var f in _hostFiles)
            if (f is PcapFileSink pcap) pcap.EpochUnixNanoseconds = epochUnixNanoseconds;
    }

    /// <summary>Writes the pcapng files once the run is over; <paramref name="epochUnixNanoseconds"/> is the real
    /// clock's zero on the tap wire (the fixed epoch of virtual captures otherwise).</summary>
    public void Finish(ScenarioRun run, long? epochUnixNanoseconds)
    {
        if (Path is null || _format != CaptureFormat.PcapNg) return;
        long epoch = epochUnixNanoseconds ?? PcapFileSink.Epoch * Duration.NanosecondsPerSecond;
        TcpRetransmissionMarker.Mark(run.Log.Frames, _tcpComments);
        PcapNgWriter.Write(Path, run.Log.Frames,
            _scenario.Hosts.SelectMany(h => h.Interfaces.Select(i => (h.Name, i.Segment))), epoch);
        foreach (var (host, log) in _hostLogs)
        {
            foreach (var f in log.Frames)
                if (_sentAs.TryGetValue(f, out var sent))
                {
                    f.Step = sent.Step;
                    f.Notes.AddRange(sent.Notes);
                }
            TcpRetransmissionMarker.Mark(log.Frames, _tcpComments);
            PcapNgWriter.Write(_hostPaths[host], log.Frames,
                _scenario.Hosts.Where(h => h.Name == host).SelectMany(h => h.Interfaces.Select(i => (h.Name, i.Segment))), epoch);
        }
    }

    public void Dispose()
    {
        PcapSink?.Dispose();
        foreach (var f in _hostFiles) f.Dispose();
    }
}
