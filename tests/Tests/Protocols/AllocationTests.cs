using Netstack.Drivers.Segments;
using FluentAssertions;
using Netstack.Link;
using Netstack.Network;
using Netstack.Tests.Protocols.Ipv6;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>The data paths allocate nothing per frame once warm: frames are handed straight to the
/// interface (no scheduling) and the link only counts what goes out.</summary>
public class AllocationTests
{
    private const int Warmup = 3000;
    private const int Measured = 5000;

    /// <summary>Managed bytes allocated per frame while feeding <paramref name="frame"/> repeatedly.</summary>
    private static double BytesPerFrame(NetworkInterface iface, byte[] frame, Action? afterEach = null)
    {
        for (int i = 0; i < Warmup; i++)
        {
            iface.ReceiveFrame(frame);
            afterEach?.Invoke();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Measured; i++)
        {
            iface.ReceiveFrame(frame);
            afterEach?.Invoke();
        }
        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / Measured;
    }

    [Test]
    public void Answering_echo_requests_allocates_nothing_per_frame()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Link.Recording = false;
        var frame = FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, TestFrames.Pattern(56)));
        BytesPerFrame(host.Interface, frame).Should().Be(0);
        host.Link.FramesTransmitted.Should().Be(Warmup + Measured + 1);
    }

    [Test]
    public void Taking_an_ipv6_redirect_allocates_nothing_per_frame()
    {
        var host = new Ipv6.Ipv6Host();
        host.Ipv6.Routers.AddStatic(Ipv6.Ipv6Host.RouterLinkLocal);
        host.LearnPeer(Ipv6.Ipv6Host.RouterLinkLocal, Ipv6.Ipv6Host.RouterMac);
        // A redirect naming the router itself as the better first hop: valid (a link-local target) and, as the first
        // hop stays the same, valid again on every repeat, so each frame takes the whole accepting path.
        var router = Ipv6.Ipv6Host.RouterLinkLocal;
        var redirect = Ipv6Frames.Icmpv6(router, Ipv6.Ipv6Host.Ip, 137, 0, 0, Ipv6Frames.Concat(
            router.Bytes(), Ipv6Address.Parse("2001:db8:99::1").Bytes(), Ipv6Frames.LinkLayerOption(2, Ipv6.Ipv6Host.RouterMac)));
        host.Traced.Link.Recording = false;
        var frame = Ipv6.Ipv6Host.FromPeer(58, redirect, source: router, hopLimit: 255);
        BytesPerFrame(host.Traced.Interface, frame).Should().Be(0);
        host.Stack.Counters.RedirectsProcessed.Should().Be(Warmup + Measured);
    }

    [Test]
    public void Answering_a_closed_port_with_port_unreachable_allocates_nothing_per_frame()
    {
        // Rate limit off: every frame takes the whole path that builds and sends the error.
        var host = new TracedHost(new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
            Icmp = new IcmpOptions { ErrorsPerSecond = 0 },
        });
        host.LearnPeer();
        host.Link.Recording = false;
        var frame = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 9, TestFrames.Pattern(64)));
        BytesPerFrame(host.Interface, frame).Should().Be(0);
        host.Stack.Counters.IcmpErrorsSent.Should().Be(Warmup + Measured);
    }

    [Test]
    public void Receiving_udp_into_a_caller_buffer_allocates_nothing_per_frame()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var into = new byte[2048];
        var frame = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, TestFrames.Pattern(64)));
        int received = 0;
        BytesPerFrame(host.Interface, frame, () => received += socket.TryReceiveFrom(into, out _) ? 1 : 0).Should().Be(0);
        received.Should().Be(Warmup + Measured);
    }

    [Test]
    public void Forwarding_allocates_nothing_per_frame()
    {
        var host = new TracedHost(new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
            Ipv4 = new Ipv4Options { Forwarding = true },
        });
        var far = new ScriptedLink(host.Loop) { Recording = false };
        var farIface = host.Stack.AddInterface(far, MacAddress.Parse("02:00:00:00:01:01"), Ipv4Cidr.Parse("198.51.100.1/24"));
        farIface.ReceiveFrame(TestFrames.Arp(ArpOperation.Request, MacAddress.Parse("02:00:00:00:01:07"), Remote,
            MacAddress.Zero, Ipv4Address.Parse("198.51.100.1")));
        var frame = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Remote, 1, 2, TestFrames.Pattern(64)), destination: Remote);
        BytesPerFrame(host.Interface, frame).Should().Be(0);
        far.FramesTransmitted.Should().Be(1 + Warmup + Measured, "the ARP reply, then every forwarded datagram");
    }
}
