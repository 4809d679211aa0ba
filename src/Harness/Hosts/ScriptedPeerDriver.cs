using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Link;
using Netstack.Drivers.Capture;

namespace Netstack.Harness.Hosts;

/// <summary>A scripted peer (packetdrill style): a bare port on each of its segments, recorded like any host,
/// that sends only the frames <c>inject</c> steps build; what reaches it is ignored.</summary>
public sealed class ScriptedPeerDriver : HostDriver
{
    public const HostAbility Abilities = HostAbility.Inject;

    /// <summary>A scripted peer only injects: every other step needs a stack.</summary>
    public static string Refusal(string host, string key) =>
        $"host '{host}' is scripted: it has no stack to run '{key}' on (use inject steps)";

    private readonly Dictionary<string, ILink> _links = new(StringComparer.Ordinal);

    public ScriptedPeerDriver(HostSpec spec, WorldBuilder world, FrameLog log) : base(spec)
    {
        var sim = world.World;
        foreach (var i in spec.Interfaces)
        {
            ILink link = sim.ConnectPort(spec.Name, sim.Segments[i.Segment]);
            link.Attach(IgnoredFrames.Instance);
            _links[i.Segment] = link;
            log.MapSegment(i.Mac, i.Segment);
        }
    }

    public override void Inject(string segment, byte[] frame) => _links[segment].Transmit(frame);

    private sealed class IgnoredFrames : IFrameReceiver
    {
        public static readonly IgnoredFrames Instance = new();
        public void ReceiveFrame(ReadOnlySpan<byte> frame) { }
    }
}
