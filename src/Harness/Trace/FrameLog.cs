using Netstack.Drivers.Capture;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Harness.Trace;

/// <summary>An in-memory recording of every frame of a run, in capture order, for assertions and
/// failure reports. Frames are few in a scenario, so each is kept as a copied array.</summary>
public sealed class FrameLog : IFrameSink
{
    private readonly List<CapturedFrame> _frames = new();
    private readonly List<CapturedFrame> _tcpSyns = new();
    private readonly Dictionary<MacAddress, string> _segmentByMac;

    public FrameLog() => _segmentByMac = new();

    /// <summary>A log that attributes frames to segments as <paramref name="segmentsOf"/> does (a host's own capture
    /// beside the run's log).</summary>
    public FrameLog(FrameLog segmentsOf) => _segmentByMac = segmentsOf._segmentByMac;

    /// <summary>Each direction's ISN so far, so every TCP frame is stamped with what its relative numbers count from.</summary>
    public TcpSequenceBases TcpBases { get; } = new();

    public IReadOnlyList<CapturedFrame> Frames => _frames;

    /// <summary>The TCP frames with SYN set, in capture order: where a frame's relative sequence numbers are looked
    /// up (<see cref="Netstack.Harness.Steps.TcpFieldCheck"/>) without rescanning the whole log for each frame.</summary>
    public IReadOnlyList<CapturedFrame> TcpSyns => _tcpSyns;
    public int Count => _frames.Count;

    /// <summary>True while every frame was recorded no earlier than the one before (a clock that only moves forward),
    /// so a time window's frames can be found by binary search.</summary>
    public bool IsTimeOrdered { get; private set; } = true;

    /// <summary>The frames recorded between <paramref name="start"/> and <paramref name="end"/> inclusive, in order.</summary>
    public IEnumerable<CapturedFrame> Between(Instant start, Instant end)
    {
        if (!IsTimeOrdered)
        {
            foreach (var f in _frames)
                if (f.Time >= start && f.Time <= end) yield return f;
            yield break;
        }
        int low = 0, high = _frames.Count;
        while (low < high)
        {
            int middle = low + (high - low) / 2;
            if (_frames[middle].Time < start) low = middle + 1;
            else high = middle;
        }
        for (int i = low; i < _frames.Count && _frames[i].Time <= end; i++) yield return _frames[i];
    }

    /// <summary>Tells the log which segment an interface's MAC is on, so frames can be attributed to segments.</summary>
    public void MapSegment(MacAddress mac, string segment) => _segmentByMac[mac] = segment;

    /// <summary>Called for each frame as it is recorded, to note what is known at that moment (the step being
    /// played, a link that is down).</summary>
    public Action<CapturedFrame>? OnRecorded { get; set; }

    public void Write(Instant time, ReadOnlySpan<byte> frame, in FrameContext context)
    {
        string? segment = null;
        if (frame.Length >= 12) _segmentByMac.TryGetValue(MacAddress.Read(frame[6..]), out segment);
        var captured = new CapturedFrame(_frames.Count + 1, time, context.Host, segment, frame.ToArray())
        {
            Inbound = context.Direction == FrameDirection.Inbound,
        };
        if (context.Comment is { } c) captured.Notes.Add(c);
        if (TcpView.Read(captured.Bytes) is { } tcp)
        {
            captured.TcpBases = TcpBases.Observe(tcp);
            if ((tcp.Flags & TcpView.Syn) != 0) _tcpSyns.Add(captured);
        }
        OnRecorded?.Invoke(captured);
        if (_frames.Count > 0 && time < _frames[^1].Time) IsTimeOrdered = false;
        _frames.Add(captured);
    }
}
