using Netstack.Harness.Scenarios;
using Netstack.Harness.Steps;
using Netstack.Harness.Trace;
using Netstack.Wire;

namespace Netstack.Harness.Running;

/// <summary>Decides whether a recorded frame is the one a <see cref="FrameExpectation"/> describes, and if
/// not, says why in words (for the nearest-frames list of a failure).</summary>
public sealed class FrameMatcher
{
    private readonly Dictionary<string, HashSet<MacAddress>> _macs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _segments = new(StringComparer.Ordinal);

    private readonly FrameLog _log;

    public FrameMatcher(Scenario scenario, FrameLog log)
    {
        _log = log;
        foreach (var h in scenario.Hosts)
        {
            _macs[h.Name] = h.Interfaces.Select(i => i.Mac).ToHashSet();
            _segments[h.Name] = h.Interfaces.Select(i => i.Segment).ToHashSet(StringComparer.Ordinal);
        }
    }

    public bool MatchesFilter(FrameExpectation e, CapturedFrame f) => e.Filter.Matches(f.Bytes);

    /// <summary>Everything but the time window: filter, sender, receiver, segment.</summary>
    public bool Matches(FrameExpectation e, CapturedFrame f) => MatchesFilter(e, f) && Mismatch(e, f) is null;

    /// <summary>Why a frame that matches the filter is still not the one expected (host, receiver, segment).</summary>
    public string? Mismatch(FrameExpectation e, CapturedFrame f)
    {
        if (e.From is { } from && f.Host != from) return $"sent by {f.Host}, not {from}";
        if (e.On is { } on && f.Segment != on) return $"sent on {f.Segment ?? "an unknown segment"}, not {on}";
        if (e.To is { } to && !IsAddressedTo(f, to)) return $"addressed to {f.Destination}, not to {to}";
        if (e.Tcp is { } tcp && tcp.Mismatch(f, _log) is { } why) return why;
        if (e.Segment is { } segment && segment.Mismatch(f) is { } differs) return differs;
        return null;
    }

    private bool IsAddressedTo(CapturedFrame f, string host)
    {
        var destination = f.Destination;
        if (_macs[host].Contains(destination)) return true;
        return destination.IsMulticast && f.Host != host && f.Segment is { } s && _segments[host].Contains(s);
    }
}
