using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Link;
using Netstack.Drivers.Capture;

namespace Netstack.Harness.Hosts;

/// <summary>A scripted peer (packetdrill style): a bare port on each of its segments, recorded like any host,
/// that sends the frames <c>inject</c> steps build and, so scripts need no ARP dance, answers ARP requests for
/// its own addresses; everything else that reaches it is ignored.</summary>
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
            link.Attach(new ArpResponder(link, i));
            _links[i.Segment] = link;
            log.MapSegment(i.Mac, i.Segment);
        }
    }

    public override void Inject(string segment, byte[] frame) => _links[segment].Transmit(frame);

    /// <summary>Answers "who has" for the interface's address with its MAC; ignores every other frame.</summary>
    private sealed class ArpResponder(ILink link, InterfaceSpec iface) : IFrameReceiver
    {
        public void ReceiveFrame(ReadOnlySpan<byte> frame)
        {
            // Ethernet (14) + ARP for IPv4 over Ethernet (28): op at 20, sender MAC 22, sender IP 28, target IP 38.
            if (frame.Length < 42 || frame[12] != 0x08 || frame[13] != 0x06 || frame[20] != 0 || frame[21] != 1) return;
            if (Netstack.Wire.Ipv4Address.Read(frame[38..]) != iface.Address.Address) return;
            var askerMac = Netstack.Wire.MacAddress.Read(frame[22..]);
            var askerIp = Netstack.Wire.Ipv4Address.Read(frame[28..]);
            var reply = FrameBuilder.Arp(2, iface.Mac, iface.Address.Address, askerMac, askerIp);
            link.Transmit(FrameBuilder.Ethernet(askerMac, iface.Mac, FrameBuilder.EtherTypeArp, reply));
        }
    }
}
