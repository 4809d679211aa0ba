using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Network.Ipv6;
using Netstack.Time;
using Netstack.Wire;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>A <see cref="TracedHost"/> with IPv6 enabled: link-local fe80::ff:fe00:a from its MAC and, unless asked
/// otherwise, the static address 2001:db8::10/64 taken into use at once (no DAD, no MLD, no router solicitation),
/// so a trace shows only what the test provokes.</summary>
public sealed class Ipv6Host
{
    public static readonly Ipv6Address LinkLocal = Ipv6Address.Parse("fe80::ff:fe00:a");
    public static readonly Ipv6Address Ip = Ipv6Address.Parse("2001:db8::10");
    public static readonly Ipv6Address PeerIp = Ipv6Address.Parse("2001:db8::20");
    public static readonly Ipv6Address PeerLinkLocal = Ipv6Address.Parse("fe80::14");
    public static readonly Ipv6Address RouterLinkLocal = Ipv6Address.Parse("fe80::1");
    public static readonly MacAddress RouterMac = MacAddress.Parse("02:00:00:00:00:01");
    public static MacAddress Mac => TracedHost.Mac;
    public static MacAddress PeerMac => TracedHost.PeerMac;

    public static readonly Ipv6Options Quiet = new()
    {
        DuplicateAddressDetectTransmits = 0,
        SendMldReports = false,
        AcceptRouterAdvertisements = false,
    };

    public Ipv6Host(Ipv6Options? ipv6 = null, bool staticAddress = true, NeighborDiscoveryOptions? nd = null, int mtu = 1500,
        Netstack.Network.IcmpOptions? icmp = null)
    {
        Traced = new TracedHost(new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
            Ipv6 = ipv6 ?? Quiet,
            NeighborDiscovery = nd ?? new NeighborDiscoveryOptions(),
            Icmp = icmp ?? new Netstack.Network.IcmpOptions(),
        }, mtu);
        Ipv6 = staticAddress
            ? Stack.EnableIpv6(Traced.Interface, new Ipv6Cidr(Ip, 64))
            : Stack.EnableIpv6(Traced.Interface);
    }

    public TracedHost Traced { get; }
    public NetworkStack Stack => Traced.Stack;
    public Ipv6Interface Ipv6 { get; }
    public Instant Now => Traced.Now;
    public NeighborDiscovery Neighbors => Ipv6.Neighbors;

    public void Feed(byte[] frame) => Traced.Feed(frame);
    public void FeedAt(Instant at, byte[] frame) => Traced.FeedAt(at, frame);
    public void RunUntil(Instant t) => Traced.RunUntil(t);
    public List<TransmittedFrame> TakeSent() => Traced.TakeSent();

    /// <summary>A frame from the peer (2001:db8::20 at 02:..:14) to us carrying <paramref name="payload"/>.</summary>
    public static byte[] FromPeer(byte nextHeader, byte[] payload, Ipv6Address? source = null, Ipv6Address? destination = null,
        int hopLimit = 64, MacAddress? destinationMac = null, MacAddress? sourceMac = null) =>
        Ipv6Frames.Packet(sourceMac ?? PeerMac, destinationMac ?? Mac, source ?? PeerIp, destination ?? Ip, nextHeader, payload, hopLimit);

    /// <summary>Teaches the stack the peer's MAC as a confirmed (REACHABLE) neighbour and discards what it sent.</summary>
    public void LearnPeer(Ipv6Address? peer = null, MacAddress? mac = null)
    {
        Neighbors.Prime(peer ?? PeerIp, mac ?? PeerMac);
        TakeSent();
    }
}
