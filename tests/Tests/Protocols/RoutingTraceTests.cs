using Netstack.Drivers.Segments;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Routing (longest prefix match, gateways) and forwarding, as packet traces.</summary>
public class RoutingTraceTests
{
    private static readonly Ipv4Address GatewayNear = Ipv4Address.Parse("192.0.2.2");
    private static readonly MacAddress GatewayNearMac = MacAddress.Parse("02:00:00:00:00:02");
    private static readonly Ipv4Address GatewayWide = Ipv4Address.Parse("192.0.2.1");
    private static readonly MacAddress GatewayWideMac = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly Ipv4Address DefaultGateway = Ipv4Address.Parse("192.0.2.254");
    private static readonly MacAddress DefaultGatewayMac = MacAddress.Parse("02:00:00:00:00:fe");

    [TestCase("198.51.100.7", "02:00:00:00:00:02", TestName = "Longest prefix: /28 via .2 beats /24 via .1")]
    [TestCase("198.51.100.100", "02:00:00:00:00:01", TestName = "Only the /24 matches: via .1")]
    [TestCase("203.0.113.5", "02:00:00:00:00:fe", TestName = "Nothing else matches: default gateway")]
    [TestCase("192.0.2.20", "02:00:00:00:00:14", TestName = "On-link /24 beats the default: straight to the host")]
    public void Datagrams_go_to_the_next_hop_of_the_longest_matching_prefix(string destination, string nextHopMac)
    {
        var host = new TracedHost();
        host.Stack.AddRoute(Ipv4Cidr.Parse("198.51.100.0/24"), GatewayWide);
        host.Stack.AddRoute(Ipv4Cidr.Parse("198.51.100.0/28"), GatewayNear);
        host.Stack.AddDefaultGateway(DefaultGateway);
        host.LearnPeer(GatewayNear, GatewayNearMac);
        host.LearnPeer(GatewayWide, GatewayWideMac);
        host.LearnPeer(DefaultGateway, DefaultGatewayMac);
        host.LearnPeer();

        var to = Ipv4Address.Parse(destination);
        host.Stack.OpenUdp(4000).SendTo([1, 2, 3], to, 53).Should().Be(3);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(MacAddress.Parse(nextHopMac));
        var ip = sent[0].Extract<Pdn.IPv4Packet>();
        ip.DestinationAddress.ToOurs().Should().Be(to, "the gateway changes the frame's MAC, not the IP destination");
        ip.SourceAddress.ToOurs().Should().Be(Ip);
    }

    [Test]
    public void Unresolved_gateway_is_what_ARP_asks_for_not_the_final_destination()
    {
        var host = new TracedHost();
        host.Stack.AddDefaultGateway(DefaultGateway);
        host.Stack.OpenUdp(4000).SendTo([1], Remote, 53).Should().Be(1);
        var arp = host.TakeSent().Should().ContainSingle().Which.Extract<Pdn.ArpPacket>();
        arp.TargetProtocolAddress.ToOurs().Should().Be(DefaultGateway);
    }

    [Test]
    public void Without_a_route_nothing_is_sent_and_the_caller_is_told()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        socket.Invoking(s => s.SendTo([1], Remote, 53)).Should().Throw<System.Net.Sockets.SocketException>()
            .Which.SocketErrorCode.Should().Be(System.Net.Sockets.SocketError.NetworkUnreachable);
        host.Stack.PingAsync(Remote).Result.Status.Should().Be(Api.PingStatus.NoRoute);
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv4NoRoute).Should().BeGreaterThan(0);
    }

    [Test]
    public void The_table_orders_by_prefix_length_whatever_the_insertion_order()
    {
        var host = new TracedHost();
        var table = new RoutingTable();
        var wide = new Route(Ipv4Cidr.Parse("10.0.0.0/8"), host.Interface);
        var narrow = new Route(Ipv4Cidr.Parse("10.1.0.0/16"), host.Interface, Ipv4Address.Parse("192.0.2.1"));
        var narrowest = new Route(Ipv4Cidr.Parse("10.1.2.0/24"), host.Interface, Ipv4Address.Parse("192.0.2.2"));
        var fallback = new Route(Ipv4Cidr.Parse("0.0.0.0/0"), host.Interface, Ipv4Address.Parse("192.0.2.3"));
        foreach (var r in new[] { narrow, fallback, narrowest, wide }) table.Add(r);
        table.Lookup(Ipv4Address.Parse("10.1.2.3")).Should().BeSameAs(narrowest);
        table.Lookup(Ipv4Address.Parse("10.1.3.3")).Should().BeSameAs(narrow);
        table.Lookup(Ipv4Address.Parse("10.2.0.1")).Should().BeSameAs(wide);
        table.Lookup(Ipv4Address.Parse("11.0.0.1")).Should().BeSameAs(fallback);
    }

    /// <summary>A router: the traced host with forwarding on and a second interface on 198.51.100.0/24.</summary>
    private static (TracedHost Host, ScriptedLink Far) Router(bool forwarding = true, int farMtu = 1500)
    {
        var host = new TracedHost(new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
            Ipv4 = new Ipv4Options { Forwarding = forwarding },
        });
        var far = new ScriptedLink(host.Loop, farMtu);
        host.Stack.AddInterface(far, FarMac, Ipv4Cidr.Parse("198.51.100.1/24"));
        host.LearnPeer();
        far.InjectAt(host.Now, TestFrames.Arp(ArpOperation.Request, RemoteMac, Remote, MacAddress.Zero, Ipv4Address.Parse("198.51.100.1")));
        host.RunUntil(host.Now);
        far.Sent.Clear();
        return (host, far);
    }

    private static readonly MacAddress FarMac = MacAddress.Parse("02:00:00:00:01:01");
    private static readonly MacAddress RemoteMac = MacAddress.Parse("02:00:00:00:01:07");

    [Test]
    public void Forwarded_datagrams_leave_the_other_interface_with_ttl_decremented_and_a_fresh_checksum()
    {
        var (host, far) = Router();
        var udp = TestFrames.Udp(PeerIp, Remote, 1111, 2222, TestFrames.Pattern(100));
        host.FeedAt(Instant.FromMilliseconds(2), FromPeer(IpProtocol.Udp, udp, id: 77, ttl: 9, destination: Remote));
        host.TakeSent().Should().BeEmpty("nothing goes back out the near side");
        far.Sent.Should().ContainSingle();
        var frame = far.Sent[0];
        frame.Time.Should().Be(Instant.FromMilliseconds(2));
        frame.Parse().SourceHardwareAddress.ToMac().Should().Be(FarMac);
        frame.Parse().DestinationHardwareAddress.ToMac().Should().Be(RemoteMac);
        var ip = frame.Extract<Pdn.IPv4Packet>();
        ip.TimeToLive.Should().Be(8);
        ip.ValidIPChecksum.Should().BeTrue();
        ip.Id.Should().Be(77);
        ip.SourceAddress.ToOurs().Should().Be(PeerIp);
        ip.DestinationAddress.ToOurs().Should().Be(Remote);
        frame.Extract<Pdn.UdpPacket>().ValidUdpChecksum.Should().BeTrue("the transport payload is untouched");
        frame.Extract<Pdn.UdpPacket>().PayloadData.Should().Equal(TestFrames.Pattern(100));
    }

    [Test]
    public void A_datagram_whose_ttl_runs_out_is_answered_with_time_exceeded_code_0()
    {
        var (host, far) = Router();
        var udp = TestFrames.Udp(PeerIp, Remote, 1111, 2222, TestFrames.Pattern(100));
        var offending = FromPeer(IpProtocol.Udp, udp, ttl: 1, destination: Remote);
        host.Feed(offending);
        far.Sent.Should().BeEmpty();
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        var icmp = sent[0].Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.TimeExceeded);
        icmp.ValidIcmpChecksum.Should().BeTrue();
        icmp.Data.Should().Equal(offending[14..].Take(icmp.Data.Length), "it quotes the datagram as received");
        icmp.Data.Length.Should().BeGreaterThanOrEqualTo(28);
        sent[0].Extract<Pdn.IPv4Packet>().DestinationAddress.ToOurs().Should().Be(PeerIp);
        host.Stack.Counters.Dropped(DropReason.Ipv4TtlExpired).Should().Be(1);
    }

    [Test]
    public void No_time_exceeded_is_sent_about_an_icmp_error()
    {
        var (host, far) = Router();
        var inner = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Remote, 1, 2, [1]), destination: Remote)[14..];
        var error = TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, inner);
        host.Feed(FromPeer(IpProtocol.Icmp, error, ttl: 1, destination: Remote));
        host.TakeSent().Should().BeEmpty("RFC 1122 §3.2.2: never an ICMP error about an ICMP error");
        far.Sent.Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv4TtlExpired).Should().Be(1);

        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1]), ttl: 1, destination: Remote));
        host.TakeSent().Should().ContainSingle("an echo request is not an error, so its expiry is reported");
    }

    [Test]
    public void Without_forwarding_datagrams_for_others_are_dropped_and_counted()
    {
        var (host, far) = Router(forwarding: false);
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Remote, 1, 2, [1]), destination: Remote));
        far.Sent.Should().BeEmpty();
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv4NotForUs).Should().Be(1);
    }

    [Test]
    public void Forwarding_fragments_a_datagram_too_big_for_the_next_link_and_refuses_one_with_DF()
    {
        var (host, far) = Router(farMtu: 576);
        var udp = TestFrames.Udp(PeerIp, Remote, 1111, 2222, TestFrames.Pattern(1000));
        host.Feed(FromPeer(IpProtocol.Udp, udp, id: 9, destination: Remote));
        far.Sent.Should().HaveCount(2);
        var first = far.Sent[0].Extract<Pdn.IPv4Packet>();
        var second = far.Sent[1].Extract<Pdn.IPv4Packet>();
        (first.FragmentFlags, first.FragmentOffset, first.TotalLength).Should().Be((1, 0, 20 + 552));
        (second.FragmentFlags, second.FragmentOffset * 8, second.TotalLength).Should().Be((0, 552, 20 + 1008 - 552));
        first.Id.Should().Be(9);
        second.Id.Should().Be(9);
        first.ValidIPChecksum.Should().BeTrue();
        second.ValidIPChecksum.Should().BeTrue();

        far.Sent.Clear();
        host.Feed(FromPeer(IpProtocol.Udp, udp, id: 10, destination: Remote, dontFragment: true));
        far.Sent.Should().BeEmpty();
        var icmp = host.TakeSent().Should().ContainSingle().Which.Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.UnreachableFragmentationNeeded);
        icmp.Sequence.Should().Be(576, "the next-hop MTU (RFC 1191)");
    }
}
