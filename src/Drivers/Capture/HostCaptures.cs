using Netstack.Link;
using Netstack.Time;

namespace Netstack.Drivers.Capture;

/// <summary>Captures taken at each host's own link, as tcpdump on that host would take them: what it sent (before
/// any fault on the wire) and what it received (after faults: a frame the wire dropped is not there, a corrupted one
/// is there corrupted). The segment's recording shows every frame as sent; these show each host's point of view, so a
/// dropped-then-retransmitted segment is seen once by its receiver. Each host gets its own sink, made on first use.
/// Frames go straight from the link to the sink: a <see cref="PcapFileSink"/> allocates nothing per frame.</summary>
public sealed class HostCaptures(CaptureDirections directions, Func<string, IFrameSink> sinkForHost)
{
    private readonly Dictionary<string, IFrameSink> _sinks = new(StringComparer.Ordinal);

    /// <summary>Which way frames are kept: <see cref="CaptureDirections.Inbound"/> (rx),
    /// <see cref="CaptureDirections.Outbound"/> (tx) or both.</summary>
    public CaptureDirections Directions { get; } = directions;

    /// <summary>The sinks made so far, by host, in the order the hosts were attached.</summary>
    public IReadOnlyDictionary<string, IFrameSink> Sinks => _sinks;

    /// <summary>Decorates one of <paramref name="host"/>'s ports with a <see cref="CaptureLink"/> into its sink; the
    /// host's stack (or tap forwarder) attaches to the returned link.</summary>
    public ILink Wrap(string host, ILink port, IScheduler clock)
    {
        if (!_sinks.TryGetValue(host, out var sink)) _sinks[host] = sink = sinkForHost(host);
        return new CaptureLink(port, clock, sink, host, Directions);
    }
}
