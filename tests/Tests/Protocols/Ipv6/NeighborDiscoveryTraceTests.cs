using FluentAssertions;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>Neighbor Discovery (RFC 4861 §7) as packet traces: resolution both ways and the neighbour cache's state
/// transitions, with timers from the virtual clock.</summary>
public class NeighborDiscoveryTraceTests
{
    private static readonly Duration LongTimeout = Duration.FromSeconds(120);

    [Test]
    public void A_solicitation_for_our_address_is_answered_at_once_with_a_solicited_override_advertisement()
    {
        var host = new Ipv6Host();
        var t = Instant.FromMilliseconds(10);
        host.RunUntil(t - Duration.FromMilliseconds(1));
        host.TakeSent().Should().BeEmpty("nothing is sent before the solicitation arrives");
        host.FeedAt(t, FromPeer(58, Ipv6Frames.Solicitation(PeerIp, Ip.SolicitedNodeMulticast, Ip, PeerMac), hopLimit: 255,
            destination: Ip.SolicitedNodeMulticast, destinationMac: Ip.SolicitedNodeMulticast.MulticastMac));

        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(t);
        var eth = sent[0].Parse();
        eth.DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
        eth.SourceHardwareAddress.ToMac().Should().Be(Mac);
        var ip = Ipv6Frames.Ipv6Of(sent[0].Bytes);
        ip.SourceAddress.ToOurs6().Should().Be(Ip);
        ip.DestinationAddress.ToOurs6().Should().Be(PeerIp);
        ip.HopLimit.Should().Be(255);
        var na = sent[0].Extract<Pdn.NdpNeighborAdvertisementPacket>();
        na.TargetAddress.ToOurs6().Should().Be(Ip);
        (na.Solicited, na.Override, na.Router).Should().Be((true, true, false));
        var message = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out bool valid);
        valid.Should().BeTrue();
        message[24..].Should().Equal(Ipv6Frames.LinkLayerOption(2, Mac), "the target link-layer address option carries our MAC");

        host.Neighbors.TryGetEntry(PeerIp, out var entry).Should().BeTrue("the solicitation's source link-layer option is learned");
        entry.State.Should().Be(NeighborState.Delay,
            "learned unsolicited it was STALE (RFC 4861 §7.2.3); our answer went out through it, which starts DELAY (§7.3.3)");
        entry.Mac.Should().Be(PeerMac);
    }

    [Test]
    public void A_duplicate_address_probe_for_our_address_is_answered_to_all_nodes_unsolicited()
    {
        var host = new Ipv6Host();
        host.Feed(FromPeer(58, Ipv6Frames.Solicitation(Ipv6Address.Unspecified, Ip.SolicitedNodeMulticast, Ip, null),
            source: Ipv6Address.Unspecified, destination: Ip.SolicitedNodeMulticast, hopLimit: 255,
            destinationMac: Ip.SolicitedNodeMulticast.MulticastMac));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        Ipv6Frames.Ipv6Of(sent[0].Bytes).DestinationAddress.ToOurs6().Should().Be(Ipv6Address.AllNodes);
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(MacAddress.Parse("33:33:00:00:00:01"));
        sent[0].Extract<Pdn.NdpNeighborAdvertisementPacket>().Solicited.Should().BeFalse();
        host.Neighbors.Entries.Should().BeEmpty("nothing is learned from the unspecified address");
    }

    [TestCase(64, 0)]
    [TestCase(255, 1)]
    public void Neighbor_messages_with_a_hop_limit_below_255_or_a_non_zero_code_are_dropped(int hopLimit, byte code)
    {
        var host = new Ipv6Host();
        var ns = Ipv6Frames.Solicitation(PeerIp, Ip.SolicitedNodeMulticast, Ip, PeerMac);
        if (code != 0)
        {
            ns[1] = code;
            ns[2] = ns[3] = 0;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ns.AsSpan(2),
                Netstack.Tests.Wire.ReferenceChecksum.Transport(PeerIp.Bytes(), Ip.SolicitedNodeMulticast.Bytes(), 58, ns));
        }
        host.Feed(FromPeer(58, ns, hopLimit: hopLimit, destination: Ip.SolicitedNodeMulticast,
            destinationMac: Ip.SolicitedNodeMulticast.MulticastMac));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6NdpInvalid).Should().Be(1);
        host.Neighbors.Entries.Should().BeEmpty();
    }

    [Test]
    public void Resolution_solicits_the_solicited_node_group_every_second_and_the_advertisement_releases_the_packet()
    {
        var host = new Ipv6Host();
        var ping = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        var sent = host.TakeSent();
        sent.Should().ContainSingle("one solicitation, the echo request waits");
        var ns = sent[0].Extract<Pdn.NdpNeighborSolicitationPacket>();
        ns.TargetAddress.ToOurs6().Should().Be(PeerIp);
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(MacAddress.Parse("33:33:ff:00:00:20"));
        var ip = Ipv6Frames.Ipv6Of(sent[0].Bytes);
        ip.DestinationAddress.ToOurs6().Should().Be(Ipv6Address.Parse("ff02::1:ff00:20"));
        ip.SourceAddress.ToOurs6().Should().Be(Ip, "the source of the packet that prompted it (RFC 4861 §7.2.2)");
        ip.HopLimit.Should().Be(255);
        var message = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out bool valid);
        valid.Should().BeTrue();
        message[24..].Should().Equal(Ipv6Frames.LinkLayerOption(1, Mac));
        host.Neighbors.TryGetEntry(PeerIp, out var entry).Should().BeTrue();
        entry.State.Should().Be(NeighborState.Incomplete);

        host.RunUntil(Instant.FromMilliseconds(999));
        host.TakeSent().Should().BeEmpty("the retransmission waits RetransTimer");
        host.RunUntil(Instant.FromSeconds(1));
        host.TakeSent().Select(f => f.Time).Should().Equal(Instant.FromSeconds(1));

        var at = Instant.FromMilliseconds(1500);
        host.FeedAt(at, FromPeer(58, Ipv6Frames.Advertisement(PeerIp, Ip, PeerIp, PeerMac, solicited: true, @override: true),
            hopLimit: 255));
        sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(at);
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
        Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out _)[0].Should().Be(128, "the echo request that waited");
        entry.State.Should().Be(NeighborState.Reachable);
        entry.Mac.Should().Be(PeerMac);
        host.RunUntil(Instant.FromSeconds(10));
        host.TakeSent().Should().BeEmpty("resolved: no more solicitations");
        ping.IsCompleted.Should().BeFalse();
    }

    [Test]
    public void Reachable_becomes_stale_then_delay_on_use_then_probe_then_the_entry_is_deleted()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Neighbors.TryGetEntry(PeerIp, out var entry).Should().BeTrue();
        entry.State.Should().Be(NeighborState.Reachable);

        // ReachableTime is 0.5–1.5 × 30 s.
        host.RunUntil(Instant.FromSeconds(14.9));
        entry.State.Should().Be(NeighborState.Reachable);
        host.RunUntil(Instant.FromSeconds(45));
        entry.State.Should().Be(NeighborState.Stale);
        host.TakeSent().Should().BeEmpty("going stale sends nothing");

        var t = Instant.FromSeconds(50);
        host.RunUntil(t);
        _ = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        var sent = host.TakeSent();
        sent.Should().ContainSingle("a stale entry is used at once");
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
        entry.State.Should().Be(NeighborState.Delay);

        host.RunUntil(t + Duration.FromMilliseconds(4999));
        host.TakeSent().Should().BeEmpty("DELAY waits DELAY_FIRST_PROBE_TIME");
        host.RunUntil(t + Duration.FromSeconds(5));
        entry.State.Should().Be(NeighborState.Probe);
        sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(PeerMac, "a probe is unicast to the cached MAC");
        Ipv6Frames.Ipv6Of(sent[0].Bytes).DestinationAddress.ToOurs6().Should().Be(PeerIp);
        sent[0].Extract<Pdn.NdpNeighborSolicitationPacket>().TargetAddress.ToOurs6().Should().Be(PeerIp);

        host.RunUntil(t + Duration.FromSeconds(7));
        host.TakeSent().Select(f => f.Time).Should().Equal(t + Duration.FromSeconds(6), t + Duration.FromSeconds(7));
        host.RunUntil(t + Duration.FromSeconds(8));
        host.Neighbors.TryGetEntry(PeerIp, out _).Should().BeFalse("MAX_UNICAST_SOLICIT probes went unanswered");
    }

    [Test]
    public void A_solicited_advertisement_during_probe_makes_the_entry_reachable_again()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.RunUntil(Instant.FromSeconds(46));
        _ = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        host.RunUntil(Instant.FromSeconds(51));
        host.Neighbors.TryGetEntry(PeerIp, out var entry).Should().BeTrue();
        entry.State.Should().Be(NeighborState.Probe);
        host.TakeSent();
        host.FeedAt(Instant.FromMilliseconds(51_200), FromPeer(58,
            Ipv6Frames.Advertisement(PeerIp, Ip, PeerIp, PeerMac, solicited: true, @override: false), hopLimit: 255));
        entry.State.Should().Be(NeighborState.Reachable);
        host.RunUntil(Instant.FromSeconds(60));
        host.TakeSent().Should().BeEmpty("no more probes");
    }

    [Test]
    public void An_unsolicited_override_advertisement_with_a_new_address_makes_the_entry_stale_with_that_address()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var other = MacAddress.Parse("02:00:00:00:00:99");
        host.Feed(FromPeer(58, Ipv6Frames.Advertisement(PeerIp, Ipv6Address.AllNodes, PeerIp, other, solicited: false, @override: true),
            destination: Ipv6Address.AllNodes, hopLimit: 255, destinationMac: MacAddress.Parse("33:33:00:00:00:01")));
        host.Neighbors.TryGetEntry(PeerIp, out var entry).Should().BeTrue();
        (entry.State, entry.Mac).Should().Be((NeighborState.Stale, other));
        host.Feed(FromPeer(58, Ipv6Frames.Advertisement(PeerIp, Ipv6Address.AllNodes, PeerIp, PeerMac, solicited: false, @override: false),
            destination: Ipv6Address.AllNodes, hopLimit: 255, destinationMac: MacAddress.Parse("33:33:00:00:00:01")));
        entry.Mac.Should().Be(other, "without the override flag a different address is not taken");
    }

    [Test]
    public void When_resolution_fails_the_packets_are_dropped_and_the_ping_learns_address_unreachable()
    {
        var host = new Ipv6Host();
        var ping = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        host.RunUntil(Instant.FromSeconds(2.999));
        host.TakeSent().Should().HaveCount(3, "MAX_MULTICAST_SOLICIT solicitations at 0, 1 and 2 s");
        ping.IsCompleted.Should().BeFalse();
        host.RunUntil(Instant.FromSeconds(3));
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(PingStatus.DestinationUnreachable);
        ping.Result.IcmpCode.Should().Be((byte)Icmpv6UnreachableCode.Address);
        ping.Result.Responder.Should().Be((IpAddress)Ip, "the failure is local");
        ping.Result.SocketError.Should().Be(System.Net.Sockets.SocketError.HostUnreachable);
        host.Stack.Counters.Dropped(DropReason.Ipv6NeighborResolutionFailed).Should().Be(1);
        host.Neighbors.Entries.Should().BeEmpty();
        host.Stack.Buffers.Outstanding.Should().Be(0);
    }

    [Test]
    public void A_flood_of_solicitations_from_new_neighbours_keeps_the_cache_within_its_bound()
    {
        var host = new Ipv6Host(nd: new NeighborDiscoveryOptions { MaxEntries = 64 });
        for (int i = 0; i < 5000; i++)
        {
            var source = new Ipv6Address(Ip.High, 0x1000UL + (ulong)i);
            var mac = new MacAddress(0x0200_0001_0000UL + (ulong)i);
            host.Feed(Ipv6Frames.Packet(mac, Ip.SolicitedNodeMulticast.MulticastMac, source, Ip.SolicitedNodeMulticast, 58,
                Ipv6Frames.Solicitation(source, Ip.SolicitedNodeMulticast, Ip, mac), 255));
        }
        host.Neighbors.Entries.Count.Should().BeLessThanOrEqualTo(64);
        host.Stack.Counters.NeighborAdvertisementsSent.Should().Be(5000, "every solicitation is answered");
        host.TakeSent();
        // And a flood of packets to neighbours that never answer holds at most 64 entries of 16 packets.
        var socket = host.Stack.OpenUdp(4000);
        for (int i = 0; i < 2000; i++)
            socket.SendTo(new byte[100], new Ipv6Address(Ip.High, 0x9000UL + (ulong)(i % 500)), 9);
        host.Neighbors.Entries.Count.Should().BeLessThanOrEqualTo(64);
        host.Stack.Buffers.Outstanding.Should().BeLessThanOrEqualTo(64 * 16);
        host.RunUntil(Instant.FromSeconds(10));
        host.Stack.Buffers.Outstanding.Should().Be(0, "every queued packet was dropped when its resolution failed");
    }
}
