using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Harness.Worlds;
using Netstack.Link;
using Netstack.Drivers.Capture;

namespace Netstack.Harness.Hosts;

/// <summary>A scripted peer (packetdrill style): a bare port on each of its segments, recorded like any host,
/// that sends the frames <c>inject</c> steps build and, so scripts need no ARP dance, answers ARP requests for
/// its own addresses (and IPv6 neighbour solicitations for its <c>ip6</c> address); everything else that reaches it
/// is ignored.</summary>
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

    /// <summary>Answers "who has" for the interface's address with its MAC, and a neighbour solicitation for its
    /// <c>ip6</c> address with a solicited neighbour advertisement (RFC 4861 §7.2.4); ignores every other frame.</summary>
    private sealed class ArpResponder(ILink link, InterfaceSpec iface) : IFrameReceiver
    {
        public void ReceiveFrame(ReadOnlySpan<byte> frame)
        {
            if (iface.Ipv6 is { } own && frame.Length >= 78 && frame[12] == 0x86 && frame[13] == 0xDD)
            {
                AnswerSolicitation(frame, own.Address);
                return;
            }
            // Ethernet (14) + ARP for IPv4 over Ethernet (28): op at 20, sender MAC 22, sender IP 28, target IP 38.
            if (frame.Length < 42 || frame[12] != 0x08 || frame[13] != 0x06 || frame[20] != 0 || frame[21] != 1) return;
            if (Netstack.Wire.Ipv4Address.Read(frame[38..]) != iface.Address.Address) return;
            var askerMac = Netstack.Wire.MacAddress.Read(frame[22..]);
            var askerIp = Netstack.Wire.Ipv4Address.Read(frame[28..]);
            var reply = FrameBuilder.Arp(2, iface.Mac, iface.Address.Address, askerMac, askerIp);
            link.Transmit(FrameBuilder.Ethernet(askerMac, iface.Mac, FrameBuilder.EtherTypeArp, reply));
        }

        /// <summary>A solicitation from the unspecified address is a duplicate address probe and is not answered
        /// (the peer claims nothing).</summary>
        private void AnswerSolicitation(ReadOnlySpan<byte> frame, Netstack.Wire.Ipv6Address own)
        {
            if (!Ipv6FrameBuilder.TryReadSolicitation(frame, out var target, out var asker, out var askerMac) || target != own ||
                asker.IsUnspecified) return;
            link.Transmit(Ipv6FrameBuilder.NeighborAdvertisement(iface.Mac, own, askerMac, asker));
        }
    }
}
