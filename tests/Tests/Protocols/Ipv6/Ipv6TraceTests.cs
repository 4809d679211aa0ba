using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>IPv6 (RFC 8200) and ICMPv6 (RFC 4443) as packet traces: echo, extension-header walking with the
/// option-type bits, routing headers, and errors.</summary>
public class Ipv6TraceTests
{
    private static byte[] EchoFromPeer(ushort seq = 1, int length = 56) =>
        Ipv6Frames.Echo(PeerIp, Ip, 0xBEEF, seq, TestFrames.Pattern(length, seed: seq));

    private static byte[] Single(Ipv6Host host, Instant at)
    {
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(at);
        return sent[0].Bytes;
    }

    [Test]
    public void An_echo_request_is_answered_at_once_with_the_same_identifier_sequence_and_data()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var t = Instant.FromMilliseconds(10);
        host.RunUntil(t - Duration.FromMilliseconds(1));
        host.TakeSent().Should().BeEmpty();
        var data = TestFrames.Pattern(56, seed: 3);
        host.FeedAt(t, FromPeer(58, Ipv6Frames.Echo(PeerIp, Ip, 0xBEEF, 42, data)));
        var frame = Single(host, t);
        var ip = Ipv6Frames.Ipv6Of(frame);
        ip.SourceAddress.ToOurs6().Should().Be(Ip);
        ip.DestinationAddress.ToOurs6().Should().Be(PeerIp);
        ip.HopLimit.Should().Be(64);
        var reply = Ipv6Frames.Icmpv6Of(frame, out _, out _, out bool valid);
        valid.Should().BeTrue();
        reply[0].Should().Be(129);
        BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(4)).Should().Be(0xBEEF);
        BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(6)).Should().Be(42);
        reply[8..].Should().Equal(data);
        host.Stack.Counters.Icmpv6EchoRepliesSent.Should().Be(1);
        host.Stack.Counters.Ipv6Delivered.Should().Be(1);
    }

    [Test]
    public void An_echo_request_to_all_nodes_is_not_answered()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(58, Ipv6Frames.Echo(PeerIp, Ipv6Address.AllNodes, 1, 1, [1, 2]), destination: Ipv6Address.AllNodes,
            destinationMac: Ipv6Address.AllNodes.MulticastMac));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6IcmpUnhandledType).Should().Be(1);
    }

    [Test]
    public void A_bad_icmpv6_checksum_is_dropped()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var echo = EchoFromPeer();
        echo[10] ^= 0xFF;
        host.Feed(FromPeer(58, echo));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6IcmpBadChecksum).Should().Be(1);
    }

    [Test]
    public void Padding_and_skippable_unknown_options_are_passed_over()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        // Hop-by-hop (PadN), then destination options with an unknown type 0x1E (high bits 00: skip).
        var payload = Ipv6Frames.Concat(
            Ipv6Frames.OptionsHeader(60, [1, 2, 0, 0]),
            Ipv6Frames.OptionsHeader(58, [0x1E, 2, 0xAA, 0xBB]),
            EchoFromPeer());
        host.Feed(FromPeer(0, payload));
        var frame = Single(host, host.Now);
        Ipv6Frames.Icmpv6Of(frame, out _, out _, out _)[0].Should().Be(129);
    }

    [TestCase(0x5E, false, false)] // 01: discard silently
    [TestCase(0x9E, true, false)]  // 10: discard, Parameter Problem even to multicast
    [TestCase(0xDE, true, false)]  // 11: discard, Parameter Problem unless multicast
    [TestCase(0xDE, false, true)]
    [TestCase(0x9E, true, true)]
    public void Unknown_options_are_handled_as_their_type_bits_say(int type, bool reported, bool toMulticast)
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var destination = toMulticast ? Ipv6Address.AllNodes : Ip;
        var payload = Ipv6Frames.Concat(
            Ipv6Frames.OptionsHeader(58, [1, 0], [(byte)type, 2, 0xAA, 0xBB]),
            Ipv6Frames.Echo(PeerIp, destination, 1, 1, [1, 2, 3, 4]));
        host.Feed(FromPeer(60, payload, destination: destination,
            destinationMac: toMulticast ? Ipv6Address.AllNodes.MulticastMac : null));
        host.Stack.Counters.Dropped(DropReason.Ipv6UnknownOption).Should().Be(1);
        var sent = host.TakeSent();
        if (!reported)
        {
            sent.Should().BeEmpty();
            return;
        }
        sent.Should().ContainSingle();
        var error = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out var source, out var to, out bool valid);
        valid.Should().BeTrue();
        (error[0], error[1]).Should().Be(((byte)4, (byte)2), "Parameter Problem, unrecognized option");
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(40 + 4u, "the pointer names the option's type byte");
        to.Should().Be(PeerIp);
        source.Should().Be(Ip, "from a unicast address of ours even when the packet went to a group");
        error[8..48].Should().Equal(FromPeer(60, payload, destination: destination)[14..54], "it quotes the packet");
    }

    [Test]
    public void A_routing_header_with_segments_left_is_refused_with_a_parameter_problem_at_its_type()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var routing = new byte[24];
        routing[0] = 58;
        routing[1] = 2;
        routing[2] = 0; // type 0 (RFC 5095)
        routing[3] = 1; // segments left
        host.Feed(FromPeer(43, Ipv6Frames.Concat(routing, EchoFromPeer())));
        var error = Ipv6Frames.Icmpv6Of(Single(host, host.Now), out _, out _, out bool valid);
        valid.Should().BeTrue();
        (error[0], error[1]).Should().Be(((byte)4, (byte)0));
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(42);
        host.Stack.Counters.Dropped(DropReason.Ipv6RoutingHeaderRefused).Should().Be(1);
    }

    [Test]
    public void A_routing_header_with_no_segments_left_is_ignored()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var routing = new byte[8];
        routing[0] = 58;
        routing[2] = 0;
        host.Feed(FromPeer(43, Ipv6Frames.Concat(routing, EchoFromPeer())));
        Ipv6Frames.Icmpv6Of(Single(host, host.Now), out _, out _, out _)[0].Should().Be(129);
    }

    [Test]
    public void A_hop_by_hop_header_after_another_header_draws_parameter_problem_code_1()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(60, Ipv6Frames.Concat(Ipv6Frames.OptionsHeader(0), Ipv6Frames.OptionsHeader(58), EchoFromPeer())));
        var error = Ipv6Frames.Icmpv6Of(Single(host, host.Now), out _, out _, out _);
        (error[0], error[1]).Should().Be(((byte)4, (byte)1));
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(40, "the field that named the hop-by-hop header");
        host.Stack.Counters.Dropped(DropReason.Ipv6HopByHopNotFirst).Should().Be(1);
    }

    [Test]
    public void An_unknown_next_header_draws_parameter_problem_code_1_pointing_at_the_field()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(253, TestFrames.Pattern(16)));
        var error = Ipv6Frames.Icmpv6Of(Single(host, host.Now), out _, out _, out _);
        (error[0], error[1]).Should().Be(((byte)4, (byte)1));
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(6);
        host.Stack.Counters.Dropped(DropReason.Ipv6UnknownNextHeader).Should().Be(1);
    }

    [Test]
    public void An_extension_header_running_past_the_packet_is_dropped_without_an_answer()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var header = Ipv6Frames.OptionsHeader(58);
        header[1] = 10; // claims 88 bytes
        host.Feed(FromPeer(60, header));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6ExtensionHeaderTruncated).Should().Be(1);
    }

    [Test]
    public void No_next_header_ends_the_chain_quietly()
    {
        var host = new Ipv6Host();
        host.Feed(FromPeer(60, Ipv6Frames.OptionsHeader(59)));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6NoNextHeader).Should().Be(1);
    }

    [TestCase("ff02::1:ff00:99", DropReason.EthernetNotForUs)] // a group we did not join: its MAC is filtered
    [TestCase("ff05::1:ff00:10", DropReason.Ipv6NotForUs)] // same MAC as a group we joined, but not that group
    [TestCase("2001:db8::99", DropReason.Ipv6NotForUs)]
    public void Packets_for_groups_or_addresses_not_ours_are_dropped(string destination, DropReason reason)
    {
        var host = new Ipv6Host();
        var to = Ipv6Address.Parse(destination);
        host.Feed(FromPeer(58, Ipv6Frames.Echo(PeerIp, to, 1, 1, [1]), destination: to,
            destinationMac: to.IsMulticast ? to.MulticastMac : null));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(reason).Should().Be(1);
    }

    [TestCase("ff02::1")]
    [TestCase("::1")]
    [TestCase("2001:db8::10")]
    public void Packets_from_impossible_sources_are_dropped(string source)
    {
        var host = new Ipv6Host();
        var from = Ipv6Address.Parse(source);
        host.Feed(FromPeer(58, Ipv6Frames.Echo(from, Ip, 1, 1, [1]), source: from));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6InvalidSource).Should().Be(1);
    }

    [Test]
    public void A_udp_datagram_to_a_closed_port_draws_port_unreachable_quoting_it()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var udp = Ipv6Frames.Udp(PeerIp, Ip, 5000, 9999, TestFrames.Pattern(20));
        var frame = FromPeer(17, udp);
        host.Feed(frame);
        var error = Ipv6Frames.Icmpv6Of(Single(host, host.Now), out _, out var to, out bool valid);
        valid.Should().BeTrue();
        to.Should().Be(PeerIp);
        (error[0], error[1]).Should().Be(((byte)1, (byte)4));
        error[8..].Should().Equal(frame[14..]);
        host.Stack.Counters.Icmpv6ErrorsSent.Should().Be(1);
    }

    [Test]
    public void Errors_are_rate_limited_by_the_token_bucket()
    {
        var host = new Ipv6Host(icmp: new Netstack.Network.IcmpOptions { ErrorsPerSecond = 10, ErrorBurst = 5 });
        host.LearnPeer();
        for (int i = 0; i < 20; i++) host.Feed(FromPeer(17, Ipv6Frames.Udp(PeerIp, Ip, 5000, 9999, [(byte)i])));
        host.TakeSent().Should().HaveCount(5, "the burst");
        host.Stack.Counters.Icmpv6ErrorsRateLimited.Should().Be(15);
        host.RunUntil(host.Now + Duration.FromMilliseconds(100));
        host.Feed(FromPeer(17, Ipv6Frames.Udp(PeerIp, Ip, 5000, 9999, [1])));
        host.TakeSent().Should().HaveCount(1, "one token accrued in 100 ms at 10/s");
    }

    [Test]
    public void No_error_answers_an_icmpv6_error()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var error = Ipv6Frames.Icmpv6(PeerIp, Ip, 1, 4, 0, TestFrames.Pattern(48));
        host.Feed(FromPeer(60, Ipv6Frames.Concat(Ipv6Frames.OptionsHeader(58, [0x9E, 0]), error)));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6UnknownOption).Should().Be(1);
    }
}
