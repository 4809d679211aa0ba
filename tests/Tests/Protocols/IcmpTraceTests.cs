using Netstack.Network;
using Netstack.Link;
using System.Net.Sockets;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>ICMPv4 (RFC 792, RFC 1122 §3.2.2) as packet traces.</summary>
public class IcmpTraceTests
{
    [Test]
    public void An_echo_request_is_answered_at_once_with_the_same_identifier_sequence_and_data()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var data = TestFrames.Pattern(56, seed: 3);
        host.FeedAt(Instant.FromMilliseconds(10), FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 0xBEEF, 42, data)));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(Instant.FromMilliseconds(10));
        var eth = sent[0].Parse();
        eth.DestinationHardwareAddress.ToMac().Should().Be(PeerMac);
        eth.SourceHardwareAddress.ToMac().Should().Be(Mac);
        var ip = sent[0].Extract<Pdn.IPv4Packet>();
        ip.SourceAddress.ToOurs().Should().Be(Ip);
        ip.DestinationAddress.ToOurs().Should().Be(PeerIp);
        ip.TimeToLive.Should().Be(64);
        ip.ValidIPChecksum.Should().BeTrue();
        var icmp = sent[0].Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.EchoReply);
        icmp.Id.Should().Be(0xBEEF);
        icmp.Sequence.Should().Be(42);
        icmp.Data.Should().Equal(data);
        icmp.ValidIcmpChecksum.Should().BeTrue();
        host.Stack.Counters.IcmpEchoRepliesSent.Should().Be(1);
    }

    [TestCase("255.255.255.255")]
    [TestCase("192.0.2.255")]
    public void An_echo_request_to_a_broadcast_address_gets_no_reply(string destination)
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1, 2]),
            destination: Ipv4Address.Parse(destination), destinationMac: MacAddress.Broadcast));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.IcmpEchoRepliesSent.Should().Be(0);
        host.Stack.Counters.Dropped(DropReason.IcmpUnhandledType).Should().Be(1);
    }

    [Test]
    public void An_unknown_protocol_is_answered_with_protocol_unreachable_quoting_the_datagram()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var offending = FromPeer((IpProtocol)99, TestFrames.Pattern(40), id: 31);
        host.Feed(offending);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        var icmp = sent[0].Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.UnreachableProtocol);
        icmp.ValidIcmpChecksum.Should().BeTrue();
        icmp.Data.Should().Equal(offending[14..]);
        sent[0].Extract<Pdn.IPv4Packet>().DestinationAddress.ToOurs().Should().Be(PeerIp);
        host.Stack.Counters.Dropped(DropReason.Ipv4UnknownProtocol).Should().Be(1);
        host.Stack.Counters.IcmpErrorsSent.Should().Be(1);
    }

    [Test]
    public void Errors_quote_at_most_576_bytes_of_datagram_in_total()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var offending = FromPeer((IpProtocol)99, TestFrames.Pattern(1400));
        host.Feed(offending);
        var sent = host.TakeSent().Should().ContainSingle().Subject;
        sent.Extract<Pdn.IPv4Packet>().TotalLength.Should().Be(576);
        sent.Extract<Pdn.IcmpV4Packet>().Data.Should().Equal(offending[14..(14 + 548)]);
    }

    [Test]
    public void A_udp_datagram_to_a_closed_port_is_answered_with_port_unreachable()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var offending = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 9, TestFrames.Pattern(10)));
        host.FeedAt(Instant.FromMilliseconds(4), offending);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(Instant.FromMilliseconds(4));
        var icmp = sent[0].Extract<Pdn.IcmpV4Packet>();
        icmp.TypeCode.Should().Be(Pdn.IcmpV4TypeCode.UnreachablePort);
        icmp.ValidIcmpChecksum.Should().BeTrue();
        icmp.Data.Should().Equal(offending[14..]);
        host.Stack.Counters.Dropped(DropReason.UdpNoListener).Should().Be(1);
    }

    [Test]
    public void Errors_are_rate_limited_to_a_burst_of_50_then_one_per_millisecond_and_echo_replies_are_not()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var toClosedPort = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 9, TestFrames.Pattern(10)));
        var t0 = Instant.FromMilliseconds(10);
        for (int i = 0; i < 100; i++) host.FeedAt(t0, toClosedPort);
        host.TakeSent().Should().HaveCount(50, "the burst");
        host.Stack.Counters.IcmpErrorsRateLimited.Should().Be(50);

        // 1000 per second: the next token is there 1 ms later, not before.
        host.FeedAt(t0 + Duration.FromNanoseconds(999_900), toClosedPort);
        host.TakeSent().Should().BeEmpty();
        host.FeedAt(t0 + Duration.FromMilliseconds(1), toClosedPort);
        host.TakeSent().Should().ContainSingle();
        host.Stack.Counters.IcmpErrorsSent.Should().Be(51);

        // Echo replies are answers, not errors: all 100 go.
        var echo = FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 7, 1, TestFrames.Pattern(8)));
        for (int i = 0; i < 100; i++) host.FeedAt(t0 + Duration.FromMilliseconds(1), echo);
        host.TakeSent().Should().HaveCount(100);
    }

    [Test]
    public void With_the_rate_limit_off_every_error_is_sent()
    {
        var host = new TracedHost(new StackOptions
        {
            Arp = new ArpOptions { SendGratuitousOnStart = false },
            Icmp = new IcmpOptions { ErrorsPerSecond = 0 },
        });
        host.LearnPeer();
        var toClosedPort = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 9, TestFrames.Pattern(10)));
        for (int i = 0; i < 200; i++) host.Feed(toClosedPort);
        host.TakeSent().Should().HaveCount(200);
        host.Stack.Counters.IcmpErrorsRateLimited.Should().Be(0);
    }

    [Test]
    public void No_error_is_sent_about_broadcasts_non_initial_fragments_or_icmp_errors()
    {
        var host = new TracedHost();
        host.LearnPeer();
        // UDP to a closed port, sent to the subnet broadcast.
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ipv4Address.Parse("192.0.2.255"), 1, 9, [1]),
            destination: Ipv4Address.Parse("192.0.2.255"), destinationMac: MacAddress.Broadcast));
        // An unknown protocol in a broadcast frame.
        host.Feed(FromPeer((IpProtocol)99, [1, 2, 3, 4, 5, 6, 7, 8], destination: Ipv4Address.Broadcast, destinationMac: MacAddress.Broadcast));
        // An ICMP error about a datagram no socket sent: counted, and never answered with another error.
        var inner = FromPeer(IpProtocol.Udp, TestFrames.Udp(Ip, PeerIp, 1, 2, [1]), source: Ip, destination: PeerIp)[14..];
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, inner)));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.IcmpErrorsSent.Should().Be(0);
        host.Stack.Counters.Dropped(DropReason.UdpNoListener).Should().Be(1);
        host.Stack.Counters.Dropped(DropReason.Ipv4UnknownProtocol).Should().Be(1);
    }

    [Test]
    public void A_corrupted_icmp_message_is_dropped_and_counted()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var message = TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1, 2, 3]);
        message[^1] ^= 0xFF;
        host.Feed(FromPeer(IpProtocol.Icmp, message));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.IcmpBadChecksum).Should().Be(1);
    }

    [Test]
    public void A_port_unreachable_reaches_the_socket_that_sent_the_datagram_and_no_other()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var a = host.Stack.OpenUdp(4000);
        var b = host.Stack.OpenUdp(4001);
        a.SendTo([1], PeerIp, 5000);
        b.SendTo([2], PeerIp, 5000);
        var sent = host.TakeSent();
        var fromB = sent[1].Bytes[14..];

        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, fromB[..28])));
        a.PendingErrors.Should().BeEmpty();
        b.TryReceiveError(out var error).Should().BeTrue();
        error!.Type.Should().Be(IcmpType.DestinationUnreachable);
        error.Code.Should().Be((byte)UnreachableCode.Port);
        error.Reporter.Should().Be(PeerIp);
        error.Destination.Should().Be(PeerIp);
        error.DestinationPort.Should().Be(5000);
        error.SocketError.Should().Be(SocketError.ConnectionRefused);
        host.TakeSent().Should().BeEmpty("ICMP errors are never answered");
    }

    [Test]
    public void A_pending_receive_on_a_connected_socket_fails_with_connection_refused()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000);
        socket.Connect(PeerIp, 5000);
        socket.Send([1]);
        var datagram = host.TakeSent().Single().Bytes[14..];
        var receive = socket.ReceiveFromAsync();
        receive.IsCompleted.Should().BeFalse();

        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, datagram[..28])));
        host.RunFor(Duration.FromMilliseconds(1));
        receive.IsFaulted.Should().BeTrue();
        receive.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
    }

    [Test]
    public void An_error_about_a_datagram_no_socket_sent_is_dropped_and_counted()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var inner = FromPeer(IpProtocol.Udp, TestFrames.Udp(Ip, PeerIp, 4444, 5000, [1]), source: Ip, destination: PeerIp)[14..];
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, inner[..28])));
        host.Stack.Counters.Dropped(DropReason.IcmpErrorNoSocket).Should().Be(1);
    }

    [Test]
    public void A_time_exceeded_about_our_echo_request_completes_the_ping()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var ping = host.Stack.Ping.PingAsync(PeerIp, timeout: Duration.FromSeconds(5));
        var request = host.TakeSent().Single().Bytes[14..];
        host.FeedAt(Instant.FromMilliseconds(3), FromPeer(IpProtocol.Icmp,
            TestFrames.IcmpMessage(IcmpType.TimeExceeded, 0, 0, request[..28]), source: OtherIp));
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(Api.PingStatus.TimeExceeded);
        ping.Result.From.Should().Be(OtherIp);
        ping.Result.RoundTripTime.Should().Be(Duration.FromMilliseconds(3));
    }

    [Test]
    public void A_ping_without_an_answer_times_out_exactly_at_its_timeout()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var ping = host.Stack.Ping.PingAsync(PeerIp, timeout: Duration.FromSeconds(2));
        host.RunUntil(Instant.FromMilliseconds(1999));
        ping.IsCompleted.Should().BeFalse();
        host.RunUntil(Instant.FromSeconds(2));
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(Api.PingStatus.TimedOut);
    }

    [Test]
    public void Errors_beyond_the_socket_queue_limit_are_dropped_and_counted()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000, receiveQueueLimit: 3);
        socket.SendTo([1], PeerIp, 5000);
        var datagram = host.TakeSent().Single().Bytes[14..];
        for (int i = 0; i < 5; i++)
            host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.IcmpMessage(IcmpType.DestinationUnreachable, 3, 0, datagram[..28])));
        socket.PendingErrors.Should().HaveCount(3, "a peer spraying errors must not grow the queue without bound");
        host.Stack.Counters.Dropped(DropReason.UdpErrorQueueFull).Should().Be(2);
    }
}
