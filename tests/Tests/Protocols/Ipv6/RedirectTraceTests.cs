using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Network;
using Netstack.Network.Ipv6;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>The host side of ICMPv6 Redirect (RFC 4861 §8) as packet traces: a valid redirect from our default router
/// moves a destination's next hop (to a better router, or to the destination itself, on-link); invalid ones change
/// nothing and are counted; the cache of redirected destinations stays bounded.</summary>
public class RedirectTraceTests
{
    private static readonly Ipv6Address Remote = Ipv6Address.Parse("2001:db8:99::1");
    private static readonly Ipv6Address BetterRouter = Ipv6Address.Parse("fe80::99");
    private static readonly MacAddress BetterRouterMac = MacAddress.Parse("02:00:00:00:00:99");

    /// <summary>A host whose default router is fe80::1 (reachable at 02:..:01), nothing sent yet.</summary>
    private static Ipv6Host HostBehindRouter(Ipv6Options? options = null)
    {
        var host = new Ipv6Host(options);
        host.Ipv6.Routers.AddStatic(RouterLinkLocal);
        host.LearnPeer(RouterLinkLocal, RouterMac);
        return host;
    }

    /// <summary>A Redirect (type 137) body: target, destination, then options.</summary>
    private static byte[] Redirect(Ipv6Address source, Ipv6Address target, Ipv6Address destination, params byte[][] options) =>
        Ipv6Frames.Icmpv6(source, Ip, 137, 0, 0, Ipv6Frames.Concat([target.Bytes(), destination.Bytes(), .. options]));

    private static byte[] RedirectFrame(Ipv6Address target, Ipv6Address destination, Ipv6Address? source = null,
        int hopLimit = 255, params byte[][] options)
    {
        var from = source ?? RouterLinkLocal;
        return FromPeer(58, Redirect(from, target, destination, options), source: from, hopLimit: hopLimit, sourceMac: RouterMac);
    }

    /// <summary>A Redirected Header option (type 4) quoting the start of a packet.</summary>
    private static byte[] RedirectedHeaderOption(byte[] quoted)
    {
        int length = (8 + quoted.Length + 7) / 8 * 8;
        var o = new byte[length];
        o[0] = 4;
        o[1] = (byte)(length / 8);
        quoted.CopyTo(o, 8);
        return o;
    }

    /// <summary>Pings <paramref name="destination"/> and returns the one frame that went out.</summary>
    private static TransmittedFrame Ping(Ipv6Host host, Ipv6Address destination, ushort sequence = 1)
    {
        host.Stack.Ipv6.Icmp.SendEchoRequest(destination, 7, sequence, 8).Should().Be(SendResult.Sent);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        return sent[0];
    }

    private static MacAddress DestinationMac(TransmittedFrame frame) => frame.Parse().DestinationHardwareAddress.ToMac();

    [Test]
    public void After_a_redirect_with_the_targets_link_layer_address_the_next_packet_goes_to_the_target_without_solicitation()
    {
        var host = HostBehindRouter();
        var before = Ping(host, Remote);
        DestinationMac(before).Should().Be(RouterMac, "off-link traffic goes to the default router");

        host.Feed(RedirectFrame(BetterRouter, Remote, options:
            [Ipv6Frames.LinkLayerOption(2, BetterRouterMac), RedirectedHeaderOption(before.Bytes[14..(14 + 48)])]));
        host.TakeSent().Should().BeEmpty("a redirect is not answered");
        host.Stack.Counters.RedirectsProcessed.Should().Be(1);
        host.Ipv6.Redirects.TryGetEntry(Remote, out var entry).Should().BeTrue();
        entry.NextHop.Should().Be(BetterRouter);
        host.Neighbors.TryGetEntry(BetterRouter, out var neighbor).Should().BeTrue();
        (neighbor.State, neighbor.Mac, neighbor.IsRouter).Should().Be((NeighborState.Stale, BetterRouterMac, true),
            "RFC 4861 §8.3: a new entry from the option is STALE, and a target other than the destination is a router");

        var after = Ping(host, Remote, 2);
        DestinationMac(after).Should().Be(BetterRouterMac, "the redirect's target is the next hop now");
        Ipv6Frames.Ipv6Of(after.Bytes).DestinationAddress.ToOurs6().Should().Be(Remote, "the packet is still addressed to the destination");
        DestinationMac(Ping(host, Ipv6Address.Parse("2001:db8:98::1"), 3)).Should().Be(RouterMac,
            "other destinations keep the default router");
        host.Stack.Counters.Dropped(DropReason.Ipv6RedirectInvalid).Should().Be(0);
    }

    [Test]
    public void Without_the_targets_link_layer_address_the_target_is_solicited_first()
    {
        var host = HostBehindRouter();
        host.Feed(RedirectFrame(BetterRouter, Remote));
        host.Stack.Counters.RedirectsProcessed.Should().Be(1);
        host.Neighbors.TryGetEntry(BetterRouter, out _).Should().BeFalse("nothing learned about the target yet");

        host.Stack.Ipv6.Icmp.SendEchoRequest(Remote, 7, 1, 8).Should().Be(SendResult.Sent);
        var sent = host.TakeSent();
        sent.Should().ContainSingle("the echo request waits for the target's resolution");
        var ns = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out var nsDestination, out bool valid);
        valid.Should().BeTrue();
        ns[0].Should().Be(135, "a Neighbor Solicitation");
        Ndp.Target(ns).Should().Be(BetterRouter);
        nsDestination.Should().Be(BetterRouter.SolicitedNodeMulticast);
        DestinationMac(sent[0]).Should().Be(BetterRouter.SolicitedNodeMulticast.MulticastMac);

        host.Feed(Ipv6Frames.Packet(BetterRouterMac, Mac, BetterRouter, Ip, 58,
            Ipv6Frames.Advertisement(BetterRouter, Ip, BetterRouter, BetterRouterMac, solicited: true, @override: true, router: true), 255));
        sent = host.TakeSent();
        sent.Should().ContainSingle("the waiting echo request goes once the target answers");
        DestinationMac(sent[0]).Should().Be(BetterRouterMac);
        Ipv6Frames.Ipv6Of(sent[0].Bytes).DestinationAddress.ToOurs6().Should().Be(Remote);
    }

    [Test]
    public void A_target_equal_to_the_destination_makes_the_destination_on_link()
    {
        var host = HostBehindRouter();
        var remoteMac = MacAddress.Parse("02:00:00:00:00:55");
        host.Feed(RedirectFrame(Remote, Remote, options: [Ipv6Frames.LinkLayerOption(2, remoteMac)]));
        host.Stack.Counters.RedirectsProcessed.Should().Be(1);
        host.Stack.Ipv6.TryRoute(Remote, out _, out var nextHop).Should().BeTrue();
        nextHop.Should().Be(Remote, "RFC 4861 §8.3: the destination is on-link");
        host.Neighbors.TryGetEntry(Remote, out var neighbor).Should().BeTrue();
        (neighbor.Mac, neighbor.IsRouter).Should().Be((remoteMac, false), "a new entry for an on-link destination is not a router");
        DestinationMac(Ping(host, Remote)).Should().Be(remoteMac);
    }

    [TestCase("hop limit 254", Description = "forwarded from off-link (§8.1)")]
    [TestCase("not our router")]
    [TestCase("global source")]
    [TestCase("multicast destination")]
    [TestCase("global target")]
    [TestCase("code 1")]
    [TestCase("short")]
    [TestCase("zero-length option")]
    public void An_invalid_redirect_changes_nothing_and_is_counted(string fault)
    {
        var host = HostBehindRouter();
        var stranger = Ipv6Address.Parse("fe80::77");
        var globalRouter = Ipv6Address.Parse("2001:db8::1");
        var target = BetterRouter;
        var destination = Remote;
        var options = new[] { Ipv6Frames.LinkLayerOption(2, BetterRouterMac) };
        byte[] frame = fault switch
        {
            "hop limit 254" => RedirectFrame(target, destination, hopLimit: 254, options: options),
            "not our router" => RedirectFrame(target, destination, source: stranger, options: options),
            "global source" => RedirectFrame(target, destination, source: globalRouter, options: options),
            "multicast destination" => RedirectFrame(target, Ipv6Address.Parse("ff0e::1"), options: options),
            "global target" => RedirectFrame(Ipv6Address.Parse("2001:db8::99"), destination, options: options),
            "code 1" => FromPeer(58, Ipv6Frames.Icmpv6(RouterLinkLocal, Ip, 137, 1, 0,
                Ipv6Frames.Concat(target.Bytes(), destination.Bytes(), options[0])), source: RouterLinkLocal, hopLimit: 255),
            "short" => FromPeer(58, Ipv6Frames.Icmpv6(RouterLinkLocal, Ip, 137, 0, 0, target.Bytes()),
                source: RouterLinkLocal, hopLimit: 255),
            "zero-length option" => RedirectFrame(target, destination, options: [new byte[] { 2, 0, 0, 0, 0, 0, 0, 0 }]),
            _ => throw new ArgumentException(fault),
        };
        host.Feed(frame);

        host.Stack.Counters.Dropped(DropReason.Ipv6RedirectInvalid).Should().Be(1);
        host.Stack.Counters.RedirectsProcessed.Should().Be(0);
        host.Ipv6.Redirects.Count.Should().Be(0);
        host.Neighbors.TryGetEntry(BetterRouter, out _).Should().BeFalse("an invalid redirect's options are not learned");
        DestinationMac(Ping(host, Remote)).Should().Be(RouterMac, "the default router is still the next hop");
    }

    [Test]
    public void Only_the_current_first_hop_may_redirect_again()
    {
        var host = HostBehindRouter();
        host.Feed(RedirectFrame(BetterRouter, Remote, options: [Ipv6Frames.LinkLayerOption(2, BetterRouterMac)]));
        host.Feed(RedirectFrame(Ipv6Address.Parse("fe80::98"), Remote));
        host.Stack.Counters.Dropped(DropReason.Ipv6RedirectInvalid).Should().Be(1,
            "the default router is no longer the first hop for the destination (RFC 4861 §8.1)");

        var third = Ipv6Address.Parse("fe80::97");
        host.Feed(FromPeer(58, Redirect(BetterRouter, third, Remote), source: BetterRouter, hopLimit: 255, sourceMac: BetterRouterMac));
        host.Stack.Counters.RedirectsProcessed.Should().Be(2, "the target we were redirected to is now our first hop");
        host.Ipv6.Redirects.TryGetEntry(Remote, out var entry).Should().BeTrue();
        (entry.NextHop, entry.Router).Should().Be((third, RouterLinkLocal), "the chain still rests on the default router");
    }

    [Test]
    public void Redirects_go_when_the_router_that_sent_them_stops_being_a_default_router()
    {
        var host = HostBehindRouter(Quiet with { AcceptRouterAdvertisements = true, MaxRouterSolicitations = 0 });
        host.Feed(RedirectFrame(BetterRouter, Remote, options: [Ipv6Frames.LinkLayerOption(2, BetterRouterMac)]));
        host.Ipv6.Redirects.Count.Should().Be(1);

        host.Feed(Ipv6Frames.Packet(RouterMac, Ipv6Address.AllNodes.MulticastMac, RouterLinkLocal, Ipv6Address.AllNodes, 58,
            Ipv6Frames.RouterAdvertisement(RouterLinkLocal, 64, 0), 255));
        host.Ipv6.Routers.DefaultRouters.Should().BeEmpty();
        host.Ipv6.Redirects.Count.Should().Be(0);
        host.Stack.Ipv6.Icmp.SendEchoRequest(Remote, 7, 1, 8).Should().Be(SendResult.NoRoute);
    }

    [Test]
    public void A_redirect_expires_after_its_lifetime_and_the_default_router_is_the_next_hop_again()
    {
        // The router (static: it never expires) outlasts the redirect, whose lifetime is 10 minutes by default.
        var host = HostBehindRouter();
        host.FeedAt(Instant.FromSeconds(1), RedirectFrame(BetterRouter, Remote, options: [Ipv6Frames.LinkLayerOption(2, BetterRouterMac)]));
        host.Stack.Counters.RedirectsProcessed.Should().Be(1);

        host.RunUntil(Instant.FromSeconds(1) + Duration.FromMinutes(10) - Duration.FromMilliseconds(1));
        DestinationMac(Ping(host, Remote)).Should().Be(BetterRouterMac, "the redirect holds for its whole lifetime");

        host.RunUntil(Instant.FromSeconds(1) + Duration.FromMinutes(10));
        host.Ipv6.Redirects.TryGetEntry(Remote, out _).Should().BeFalse("the redirect expired");
        DestinationMac(Ping(host, Remote, 2)).Should().Be(RouterMac, "an expired redirect sends the destination to the default router again");
        host.Ipv6.Redirects.Count.Should().Be(0);
    }

    [Test]
    public void A_flood_of_redirects_for_distinct_destinations_keeps_the_cache_bounded()
    {
        const int limit = 16;
        var host = HostBehindRouter(Quiet with { MaxRedirectEntries = limit });
        var options = new[] { Ipv6Frames.LinkLayerOption(2, BetterRouterMac) };
        Ipv6Address Destination(int i) => Ipv6Address.Parse($"2001:db8:77::{i + 1:x}");
        for (int i = 0; i < 500; i++)
            host.FeedAt(Instant.FromMilliseconds(i), RedirectFrame(BetterRouter, Destination(i), options: options));

        host.Stack.Counters.RedirectsProcessed.Should().Be(500);
        host.Ipv6.Redirects.Count.Should().Be(limit);
        host.Ipv6.Redirects.TryGetEntry(Destination(499), out _).Should().BeTrue("the newest redirect is kept");
        host.Ipv6.Redirects.TryGetEntry(Destination(0), out _).Should().BeFalse("the oldest was evicted");
        host.Neighbors.Entries.Count.Should().Be(2, "the router and the one target");
        DestinationMac(Ping(host, Destination(0))).Should().Be(RouterMac, "an evicted destination goes to the default router again");
    }
}
