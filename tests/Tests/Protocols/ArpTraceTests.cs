using Netstack.Drivers.Segments;
using FluentAssertions;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Link;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>ARP (RFC 826) as packet traces: what goes out, when, and what never does.</summary>
public class ArpTraceTests
{
    private static readonly Duration LongTimeout = Duration.FromSeconds(30);

    private static void ShouldBeRequestFor(TransmittedFrame frame, Ipv4Address target, MacAddress? unicastTo = null)
    {
        var eth = frame.Parse();
        eth.DestinationHardwareAddress.ToMac().Should().Be(unicastTo ?? MacAddress.Broadcast);
        eth.SourceHardwareAddress.ToMac().Should().Be(Mac);
        var arp = frame.Extract<Pdn.ArpPacket>();
        arp.Operation.Should().Be(Pdn.ArpOperation.Request);
        arp.SenderHardwareAddress.ToMac().Should().Be(Mac);
        arp.SenderProtocolAddress.ToOurs().Should().Be(Ip);
        arp.TargetProtocolAddress.ToOurs().Should().Be(target);
        arp.TargetHardwareAddress.ToMac().Should().Be(MacAddress.Zero);
        frame.Bytes.Length.Should().Be(60, "ARP frames are padded to the Ethernet minimum");
    }

    private static byte[] ReplyFromPeer() => TestFrames.Arp(ArpOperation.Reply, PeerMac, PeerIp, Mac, Ip);

    [Test]
    public void Unresolved_peer_gets_a_request_at_once_then_retries_at_exactly_one_second_intervals()
    {
        var host = new TracedHost();
        var ping = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        var first = host.TakeSent();
        first.Should().ContainSingle();
        ShouldBeRequestFor(first[0], PeerIp);
        first[0].Time.Should().Be(Instant.Zero);

        host.RunUntil(Instant.FromMilliseconds(999));
        host.TakeSent().Should().BeEmpty("the retry is due at 1 s, not before");
        host.RunUntil(Instant.FromMilliseconds(1000));
        var second = host.TakeSent();
        second.Should().ContainSingle();
        second[0].Time.Should().Be(Instant.FromSeconds(1));
        ShouldBeRequestFor(second[0], PeerIp);

        host.RunUntil(Instant.FromMilliseconds(1999));
        host.TakeSent().Should().BeEmpty();
        host.RunUntil(Instant.FromMilliseconds(2000));
        var third = host.TakeSent();
        third.Should().ContainSingle();
        ShouldBeRequestFor(third[0], PeerIp);
        ping.IsCompleted.Should().BeFalse();
        host.Stack.Counters.ArpRequestsSent.Should().Be(3);
    }

    [Test]
    public void After_three_requests_the_queued_packet_is_dropped_and_ping_reports_host_unreachable()
    {
        var host = new TracedHost();
        var ping = host.Stack.PingAsync(PeerIp, timeout: LongTimeout);
        host.RunUntil(Instant.FromMilliseconds(2999));
        host.TakeSent().Should().HaveCount(3);
        ping.IsCompleted.Should().BeFalse("the third request still has until 3 s to be answered");

        host.RunUntil(Instant.FromSeconds(3));
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(PingStatus.DestinationUnreachable);
        ping.Result.IcmpCode.Should().Be((byte)UnreachableCode.Host);
        ping.Result.From.Should().Be(Ip, "the failure is local");
        host.Stack.Counters.Dropped(DropReason.ArpResolutionFailed).Should().Be(1);

        host.RunUntil(Instant.FromSeconds(60));
        host.TakeSent().Should().BeEmpty("no fourth request and no echo request ever leave");
        host.Interface.Arp.Entries.Should().BeEmpty("a failed resolution leaves no entry");
        host.Stack.Buffers.Outstanding.Should().Be(0, "the dropped packet's buffer went back to the pool");
    }

    [Test]
    public void The_first_packet_waiting_for_resolution_is_sent_as_soon_as_the_reply_arrives()
    {
        var host = new TracedHost();
        var ping = host.Stack.PingAsync(PeerIp, dataLength: 56, timeout: LongTimeout);
        host.TakeSent().Should().ContainSingle();

        host.FeedAt(Instant.FromMilliseconds(5), ReplyFromPeer());
        var sent = host.TakeSent();
        sent.Should().ContainSingle("the queued echo request, and nothing else");
        sent[0].Time.Should().Be(Instant.FromMilliseconds(5));
        sent[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
        var ip = sent[0].Extract<Pdn.IPv4Packet>();
        ip.DestinationAddress.ToOurs().Should().Be(PeerIp);
        ip.ValidIPChecksum.Should().BeTrue();
        var echo = sent[0].Extract<Pdn.IcmpV4Packet>();
        echo.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.EchoRequest);
        echo.Data.Should().HaveCount(56);
        echo.ValidIcmpChecksum.Should().BeTrue();

        host.FeedAt(Instant.FromMilliseconds(7), TracedHost.FromPeer(IpProtocol.Icmp,
            TestFrames.Echo(IcmpType.EchoReply, echo.Id, echo.Sequence, echo.Data)));
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(PingStatus.Success);
        ping.Result.RoundTripTime.Should().Be(Duration.FromMilliseconds(7));

        host.RunUntil(Instant.FromSeconds(10));
        host.TakeSent().Should().BeEmpty("a resolved entry is not re-requested");
    }

    [Test]
    public void Packets_beyond_the_pending_queue_limit_are_dropped_and_counted_and_the_rest_go_out_in_order()
    {
        var host = new TracedHost(new StackOptions { Arp = new ArpOptions { SendGratuitousOnStart = false, PendingQueueLimit = 4 } });
        var socket = host.Stack.OpenUdp(4000);
        for (int i = 0; i < 6; i++)
            socket.SendTo([(byte)i], PeerIp, 5000);
        host.TakeSent().Should().ContainSingle("one request however many packets wait");
        host.Stack.Counters.Dropped(DropReason.ArpQueueFull).Should().Be(2);

        host.FeedAt(Instant.FromMilliseconds(1), ReplyFromPeer());
        var sent = host.TakeSent();
        sent.Select(f => f.Extract<Pdn.UdpPacket>().PayloadData[0]).Should().Equal(0, 1, 2, 3);
        host.Stack.Buffers.Outstanding.Should().Be(0);
    }

    [Test]
    public void An_entry_used_near_its_expiry_is_refreshed_with_a_unicast_request_and_stays_usable()
    {
        var host = new TracedHost();
        host.LearnPeer(); // at 0: expires at 60 s, refresh window opens at 55 s
        var socket = host.Stack.OpenUdp(4000);

        host.RunUntil(Instant.FromSeconds(54.999));
        socket.SendTo([1], PeerIp, 5000);
        host.TakeSent().Should().ContainSingle().Which.Extract<Pdn.UdpPacket>().Should().NotBeNull();

        host.RunUntil(Instant.FromSeconds(55));
        socket.SendTo([2], PeerIp, 5000);
        var sent = host.TakeSent();
        sent.Should().HaveCount(2);
        ShouldBeRequestFor(sent[0], PeerIp, unicastTo: PeerMac);
        sent[1].Extract<Pdn.UdpPacket>().PayloadData.Should().Equal(2);

        socket.SendTo([3], PeerIp, 5000);
        host.TakeSent().Should().ContainSingle("one refresh request per entry, not one per packet");

        host.FeedAt(Instant.FromSeconds(55.001), ReplyFromPeer());
        host.RunUntil(Instant.FromSeconds(100));
        socket.SendTo([4], PeerIp, 5000);
        var later = host.TakeSent();
        later.Should().ContainSingle("the refreshed entry lasts until 115 s");
        later[0].Parse().DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
    }

    [Test]
    public void An_expired_entry_is_resolved_afresh_and_the_packet_waits_for_it()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Interface.Arp.TryLookup(PeerIp, out _).Should().BeTrue();
        host.RunUntil(Instant.FromSeconds(59.999));
        host.Interface.Arp.TryLookup(PeerIp, out _).Should().BeTrue();
        host.RunUntil(Instant.FromSeconds(60));
        host.Interface.Arp.TryLookup(PeerIp, out _).Should().BeFalse("entries live 60 s");

        var socket = host.Stack.OpenUdp(4000);
        socket.SendTo([9], PeerIp, 5000);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        ShouldBeRequestFor(sent[0], PeerIp);

        host.FeedAt(Instant.FromSeconds(60.002), ReplyFromPeer());
        host.TakeSent().Should().ContainSingle().Which.Extract<Pdn.UdpPacket>().PayloadData.Should().Equal(9);
    }

    [Test]
    public void Start_announces_our_address_with_a_gratuitous_request()
    {
        var host = new TracedHost(new StackOptions());
        host.TakeSent().Should().BeEmpty();
        host.Stack.Start();
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(Instant.Zero);
        ShouldBeRequestFor(sent[0], Ip);
    }

    [Test]
    public void A_request_for_our_address_is_answered_and_teaches_us_the_sender()
    {
        var host = new TracedHost();
        host.FeedAt(Instant.FromMilliseconds(3), TestFrames.Arp(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, Ip));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(Instant.FromMilliseconds(3));
        var eth = sent[0].Parse();
        eth.DestinationHardwareAddress.ToMac().Should().Be(PeerMac, "replies are unicast");
        var arp = sent[0].Extract<Pdn.ArpPacket>();
        arp.Operation.Should().Be(Pdn.ArpOperation.Response);
        arp.SenderHardwareAddress.ToMac().Should().Be(Mac);
        arp.SenderProtocolAddress.ToOurs().Should().Be(Ip);
        arp.TargetHardwareAddress.ToMac().Should().Be(PeerMac);
        arp.TargetProtocolAddress.ToOurs().Should().Be(PeerIp);

        host.Interface.Arp.TryLookup(PeerIp, out var mac).Should().BeTrue();
        mac.Should().Be(PeerMac);
        host.Stack.OpenUdp(4000).SendTo([1], PeerIp, 5000);
        host.TakeSent().Should().ContainSingle("the peer is known: no request before the datagram")
            .Which.Extract<Pdn.UdpPacket>().Should().NotBeNull();
    }

    [Test]
    public void A_request_for_another_address_is_not_answered_and_does_not_create_an_entry()
    {
        var host = new TracedHost();
        host.Feed(TestFrames.Arp(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, OtherIp));
        host.TakeSent().Should().BeEmpty();
        host.Interface.Arp.Entries.Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.ArpNotForUs).Should().Be(1);
    }

    [Test]
    public void A_known_sender_with_a_new_mac_is_updated_even_by_packets_not_for_us()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var moved = MacAddress.Parse("02:00:00:00:00:99");
        host.Feed(TestFrames.Arp(ArpOperation.Request, moved, PeerIp, MacAddress.Zero, OtherIp));
        host.TakeSent().Should().BeEmpty();
        host.Interface.Arp.TryLookup(PeerIp, out var mac).Should().BeTrue();
        mac.Should().Be(moved, "RFC 826 merges the sender into an existing entry whoever the target is");
    }

    [Test]
    public void An_unsolicited_reply_for_us_teaches_the_sender_without_an_answer()
    {
        var host = new TracedHost();
        host.Feed(ReplyFromPeer());
        host.TakeSent().Should().BeEmpty("replies are never answered");
        host.Interface.Arp.TryLookup(PeerIp, out var mac).Should().BeTrue();
        mac.Should().Be(PeerMac);
    }

    [Test]
    public void A_udp_socket_whose_datagram_waited_for_a_failed_resolution_gets_host_unreachable()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        socket.SendTo([1, 2, 3], PeerIp, 5000).Should().Be(3);
        host.RunUntil(Instant.FromMilliseconds(2999));
        socket.PendingErrors.Should().BeEmpty();
        host.RunUntil(Instant.FromSeconds(3));
        socket.TryReceiveError(out var error).Should().BeTrue();
        error!.Type.Should().Be(IcmpType.DestinationUnreachable);
        error.Code.Should().Be((byte)UnreachableCode.Host);
        error.Reporter.Should().Be(Ip);
        error.Destination.Should().Be(PeerIp);
        error.DestinationPort.Should().Be(5000);
        host.TakeSent().Should().HaveCount(3, "three ARP requests, and the datagram never left");
    }

    /// <summary>Issue 18 #7: ARP poisoning. No station has an all-zero, broadcast, multicast or our own MAC; a
    /// request, reply or gratuitous announcement claiming one is not learned (neither as a new entry nor over a
    /// known one), not answered, and counted.</summary>
    [TestCase("00:00:00:00:00:00", ArpOperation.Request)]
    [TestCase("00:00:00:00:00:00", ArpOperation.Reply)]
    [TestCase("ff:ff:ff:ff:ff:ff", ArpOperation.Request)]
    [TestCase("01:00:5e:00:00:01", ArpOperation.Reply)]
    [TestCase("02:00:00:00:00:0a", ArpOperation.Request)] // our own
    [TestCase("02:00:00:00:00:0a", ArpOperation.Reply)]
    public void A_sender_mac_no_station_can_have_is_not_learned_not_answered_and_counted(string mac, ArpOperation op)
    {
        var host = new TracedHost();
        var bogus = MacAddress.Parse(mac);

        host.Feed(TestFrames.Arp(op, bogus, PeerIp, op == ArpOperation.Request ? MacAddress.Zero : Mac, Ip,
            ethernetDestination: MacAddress.Broadcast));

        host.TakeSent().Should().BeEmpty();
        host.Interface.Arp.TryLookup(PeerIp, out _).Should().BeFalse();
        host.Stack.Counters.Dropped(DropReason.ArpInvalidSenderMac).Should().Be(1);

        // Nor does it overwrite what we know: traffic to the peer still goes to its real MAC.
        host.LearnPeer();
        host.Feed(TestFrames.Arp(ArpOperation.Reply, bogus, PeerIp, Mac, Ip, ethernetDestination: MacAddress.Broadcast));
        host.Interface.Arp.TryLookup(PeerIp, out var known).Should().BeTrue();
        known.Should().Be(PeerMac);
        host.Stack.Counters.Dropped(DropReason.ArpInvalidSenderMac).Should().Be(2);
    }
}
