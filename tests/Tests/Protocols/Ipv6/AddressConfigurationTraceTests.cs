using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Network.Ipv6;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>Link-local addresses, duplicate address detection and SLAAC (RFC 4862), router discovery (RFC 4861 §6)
/// and MLDv2 reports (RFC 3810) as packet traces.</summary>
public class AddressConfigurationTraceTests
{
    private static readonly Ipv6Options Defaults = new();
    private static readonly Ipv6Address SlaacPrefix = Ipv6Address.Parse("2001:db8:1::");
    private static readonly Ipv6Address SlaacAddress = Ipv6Address.Parse("2001:db8:1::ff:fe00:a");

    private static byte[] Advertisement(ushort lifetime = 1800, uint valid = 86400, uint preferred = 14400, uint? mtu = 1400) =>
        Ipv6Frames.Packet(RouterMac, Ipv6Address.AllNodes.MulticastMac, RouterLinkLocal, Ipv6Address.AllNodes, 58,
            Ipv6Frames.RouterAdvertisement(RouterLinkLocal, 64, lifetime,
                [.. new[] { Ipv6Frames.LinkLayerOption(1, RouterMac), Ipv6Frames.PrefixOption(SlaacPrefix, 64, true, true, valid, preferred) },
                 .. mtu is { } m ? new[] { Ipv6Frames.MtuOption(m) } : []]), 255);

    [Test]
    public void The_link_local_address_is_formed_from_the_mac_with_modified_eui_64()
    {
        Ipv6Address.LinkLocalFromMac(MacAddress.Parse("00:11:22:33:44:55")).Should().Be(Ipv6Address.Parse("fe80::211:22ff:fe33:4455"));
        Ipv6Address.LinkLocalFromMac(Mac).Should().Be(LinkLocal);
    }

    [Test]
    public void Enabling_ipv6_reports_the_solicited_node_group_probes_the_link_local_address_and_then_solicits_routers()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        var sent = host.TakeSent();
        sent.Should().HaveCount(2, "an MLDv2 report and one duplicate address detection probe, at once");
        sent.Should().OnlyContain(f => f.Time == Instant.Zero);

        var mld = Ipv6Frames.Ipv6Of(sent[0].Bytes);
        mld.SourceAddress.ToOurs6().Should().Be(Ipv6Address.Unspecified, "no address is usable yet (RFC 3810 §5.2.13)");
        mld.DestinationAddress.ToOurs6().Should().Be(Ipv6Address.AllMldv2Routers);
        mld.HopLimit.Should().Be(1);
        mld.NextHeader.Should().Be(Pdn.ProtocolType.IPv6HopByHopOptions, "MLD carries a Router Alert");
        sent[0].Bytes[14 + 40 + 2].Should().Be(5, "the Router Alert option");
        var report = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out bool reportValid);
        reportValid.Should().BeTrue();
        report[0].Should().Be(143);
        Mldv2Report.TryReadGroup(report, 0, out byte recordType, out var group).Should().BeTrue();
        (recordType, group).Should().Be(((byte)4, LinkLocal.SolicitedNodeMulticast));

        var probe = Ipv6Frames.Ipv6Of(sent[1].Bytes);
        probe.SourceAddress.ToOurs6().Should().Be(Ipv6Address.Unspecified);
        probe.DestinationAddress.ToOurs6().Should().Be(LinkLocal.SolicitedNodeMulticast);
        probe.HopLimit.Should().Be(255);
        var ns = Ipv6Frames.Icmpv6Of(sent[1].Bytes, out _, out _, out bool nsValid);
        nsValid.Should().BeTrue();
        ns.Should().HaveCount(24, "no source link-layer option from the unspecified address");
        Ndp.Target(ns).Should().Be(LinkLocal);
        host.Ipv6.LinkLocal.State.Should().Be(Ipv6AddressState.Tentative);

        host.RunUntil(Instant.FromMilliseconds(999));
        host.TakeSent().Should().BeEmpty();
        host.Ipv6.LinkLocal.State.Should().Be(Ipv6AddressState.Tentative);
        host.RunUntil(Instant.FromSeconds(1));
        host.Ipv6.LinkLocal.State.Should().Be(Ipv6AddressState.Preferred);
        sent = host.TakeSent();
        sent.Should().ContainSingle("a router solicitation once the link-local address is usable");
        var rs = Ipv6Frames.Ipv6Of(sent[0].Bytes);
        rs.SourceAddress.ToOurs6().Should().Be(LinkLocal);
        rs.DestinationAddress.ToOurs6().Should().Be(Ipv6Address.AllRouters);
        var solicitation = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out _);
        solicitation[0].Should().Be(133);
        solicitation[8..].Should().Equal(Ipv6Frames.LinkLayerOption(1, Mac));
        host.RunUntil(Instant.FromSeconds(9));
        host.TakeSent().Select(f => f.Time).Should().Equal(Instant.FromSeconds(5), Instant.FromSeconds(9));
        host.RunUntil(Instant.FromSeconds(60));
        host.TakeSent().Should().BeEmpty("MAX_RTR_SOLICITATIONS sent");
    }

    [Test]
    public void A_packet_to_a_tentative_address_other_than_detection_is_dropped()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.TakeSent();
        host.Feed(FromPeer(58, Ipv6Frames.Echo(PeerLinkLocal, LinkLocal, 1, 1, [1]), source: PeerLinkLocal, destination: LinkLocal));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6TentativeDestination).Should().Be(1);
    }

    [Test]
    public void An_advertisement_for_the_tentative_address_marks_it_duplicate_and_it_is_never_used()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.TakeSent();
        host.FeedAt(Instant.FromMilliseconds(300), Ipv6Frames.Packet(PeerMac, Ipv6Address.AllNodes.MulticastMac, LinkLocal,
            Ipv6Address.AllNodes, 58, Ipv6Frames.Advertisement(LinkLocal, Ipv6Address.AllNodes, LinkLocal, PeerMac, false, true), 255));
        host.Ipv6.LinkLocal.State.Should().Be(Ipv6AddressState.Duplicate);
        host.Stack.Counters.Dropped(DropReason.Ipv6DuplicateAddress).Should().Be(1);
        var leave = host.TakeSent();
        leave.Should().ContainSingle("an MLDv2 report leaving the solicited-node group");
        Mldv2Report.TryReadGroup(Ipv6Frames.Icmpv6Of(leave[0].Bytes, out _, out _, out _), 0, out byte type, out _).Should().BeTrue();
        type.Should().Be(Mldv2Report.ChangeToIncludeMode);
        host.RunUntil(Instant.FromSeconds(30));
        host.TakeSent().Should().BeEmpty("no router solicitation without a usable link-local address");
        host.Ipv6.TrySelectSource(PeerLinkLocal, out _).Should().BeFalse();
    }

    [Test]
    public void Another_nodes_probe_for_the_same_tentative_address_is_a_duplicate_too()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.TakeSent();
        host.Feed(Ipv6Frames.Packet(PeerMac, LinkLocal.SolicitedNodeMulticast.MulticastMac, Ipv6Address.Unspecified,
            LinkLocal.SolicitedNodeMulticast, 58,
            Ipv6Frames.Solicitation(Ipv6Address.Unspecified, LinkLocal.SolicitedNodeMulticast, LinkLocal, null), 255));
        host.Ipv6.LinkLocal.State.Should().Be(Ipv6AddressState.Duplicate);
    }

    [Test]
    public void A_router_advertisement_configures_an_address_by_slaac_a_default_router_and_the_link_mtu()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.RunUntil(Instant.FromSeconds(1));
        host.TakeSent();
        var t = Instant.FromSeconds(2);
        host.FeedAt(t, Advertisement());

        var address = host.Ipv6.Find(SlaacAddress);
        address.Should().NotBeNull("prefix 2001:db8:1::/64 with the A flag and our interface identifier");
        address!.State.Should().Be(Ipv6AddressState.Tentative);
        address.Origin.Should().Be(Ipv6AddressOrigin.Autoconfigured);
        address.ValidUntil.Should().Be(t + Duration.FromSeconds(86400));
        var sent = host.TakeSent();
        sent.Should().ContainSingle("its detection probe; its solicited-node group is the link-local address's (same interface" +
            " identifier), already joined and reported");
        Ndp.Target(Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out _)).Should().Be(SlaacAddress);
        host.Ipv6.Routers.DefaultRouters.Should().ContainSingle().Which.Address.Should().Be(RouterLinkLocal);
        host.Ipv6.LinkMtu.Should().Be(1400);
        host.Neighbors.TryGetEntry(RouterLinkLocal, out var router).Should().BeTrue();
        (router.Mac, router.IsRouter).Should().Be((RouterMac, true));
        host.Stack.Counters.RouterAdvertisementsProcessed.Should().Be(1);

        host.RunUntil(t + Duration.FromSeconds(1));
        address.State.Should().Be(Ipv6AddressState.Preferred);
        host.TakeSent().Should().BeEmpty("the router answered: no more solicitations");

        // Off-link destinations go to the default router, from the autoconfigured address.
        var ping = host.Stack.PingAsync(Ipv6Address.Parse("2001:db8:99::1"), timeout: Duration.FromSeconds(5));
        sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(RouterMac);
        var ip = Ipv6Frames.Ipv6Of(sent[0].Bytes);
        ip.SourceAddress.ToOurs6().Should().Be(SlaacAddress);
        ip.DestinationAddress.ToOurs6().Should().Be(Ipv6Address.Parse("2001:db8:99::1"));
        ping.IsCompleted.Should().BeFalse();
    }

    [Test]
    public void A_router_lifetime_of_zero_removes_the_default_router_and_a_short_valid_lifetime_is_cut_only_to_two_hours()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.RunUntil(Instant.FromSeconds(1));
        host.FeedAt(Instant.FromSeconds(2), Advertisement());
        host.FeedAt(Instant.FromSeconds(3), Advertisement(lifetime: 0, valid: 60, preferred: 30));
        host.Ipv6.Routers.DefaultRouters.Should().BeEmpty();
        host.Ipv6.Find(SlaacAddress)!.ValidUntil.Should().Be(Instant.FromSeconds(3) + Duration.FromSeconds(7200),
            "RFC 4862 §5.5.3 (e): an unauthenticated advertisement cannot shorten it below two hours");
        host.Ipv6.Routers.TryGetDefaultRouter(out _).Should().BeFalse();
    }

    [Test]
    public void Advertisements_not_from_a_link_local_address_or_with_a_lower_hop_limit_are_ignored()
    {
        var host = new Ipv6Host(Defaults, staticAddress: false);
        host.RunUntil(Instant.FromSeconds(1));
        var ra = Ipv6Frames.RouterAdvertisement(PeerIp, 64, 1800, Ipv6Frames.PrefixOption(SlaacPrefix, 64, true, true, 100, 100));
        host.Feed(Ipv6Frames.Packet(RouterMac, Ipv6Address.AllNodes.MulticastMac, PeerIp, Ipv6Address.AllNodes, 58, ra, 255));
        var linkLocalRa = Ipv6Frames.RouterAdvertisement(RouterLinkLocal, 64, 1800);
        host.Feed(Ipv6Frames.Packet(RouterMac, Ipv6Address.AllNodes.MulticastMac, RouterLinkLocal, Ipv6Address.AllNodes, 58, linkLocalRa, 64));
        host.Stack.Counters.Dropped(DropReason.Ipv6NdpInvalid).Should().Be(2);
        host.Ipv6.Routers.DefaultRouters.Should().BeEmpty();
        host.Ipv6.Find(SlaacAddress).Should().BeNull();
    }

    [Test]
    public void An_mld_query_is_answered_with_a_report_of_the_solicited_node_groups()
    {
        var host = new Ipv6Host(Defaults with { AcceptRouterAdvertisements = false }, staticAddress: true);
        host.RunUntil(Instant.FromSeconds(2));
        host.TakeSent();
        var query = Ipv6Frames.Icmpv6(RouterLinkLocal, Ipv6Address.AllNodes, 130, 0, 0, new byte[20]);
        host.Feed(Ipv6Frames.Packet(RouterMac, Ipv6Address.AllNodes.MulticastMac, RouterLinkLocal, Ipv6Address.AllNodes, 0,
            Ipv6Frames.Concat(Ipv6Frames.OptionsHeader(58, [5, 2, 0, 0]), query), 1));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        var report = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out var source, out _, out bool valid);
        valid.Should().BeTrue();
        source.Should().Be(LinkLocal);
        Mldv2Report.RecordCount(report).Should().Be(2);
        var groups = Enumerable.Range(0, 2).Select(i =>
        {
            Mldv2Report.TryReadGroup(report, i, out _, out var g).Should().BeTrue();
            return g;
        });
        groups.Order().Should().Equal(new[] { LinkLocal.SolicitedNodeMulticast, Ip.SolicitedNodeMulticast }.Order());
    }
}
