using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Network.Ipv6;
using Netstack.Tests.Wire;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>IPv6 fragmentation and reassembly (RFC 8200 §4.5), atomic fragments (RFC 6946), overlapping fragments
/// (RFC 5722) and path MTU discovery (RFC 8201) as packet traces.</summary>
public class Ipv6FragmentTraceTests
{
    /// <summary>The fragments of an ICMPv6 echo request of <paramref name="dataLength"/> bytes from the peer, each
    /// carrying <paramref name="chunk"/> bytes (a multiple of 8) of the message.</summary>
    private static List<(int Offset, byte[] Frame)> PeerEchoFragments(int dataLength, int chunk, uint id, out byte[] data)
    {
        data = TestFrames.Pattern(dataLength, seed: 5);
        var message = Ipv6Frames.Echo(PeerIp, Ip, 0x1234, 7, data);
        var frames = new List<(int, byte[])>();
        for (int at = 0; at < message.Length; at += chunk)
        {
            int length = Math.Min(chunk, message.Length - at);
            frames.Add((at, FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, at, at + length < message.Length, id),
                message[at..(at + length)]))));
        }
        return frames;
    }

    /// <summary>Reassembles fragments we sent, checking each: same identification, offsets in order, more-fragments
    /// on all but the last, every one within the MTU.</summary>
    private static byte[] Reassemble(List<Netstack.Drivers.Segments.TransmittedFrame> frames, int mtu, out Ipv6Address source,
        out Ipv6Address destination)
    {
        var data = new List<byte>();
        uint? id = null;
        source = destination = default;
        for (int i = 0; i < frames.Count; i++)
        {
            var ip = frames[i].Bytes.AsSpan(14);
            (ip.Length).Should().BeLessThanOrEqualTo(mtu);
            ip[6].Should().Be(44, "a fragment header follows the fixed header");
            source = Ipv6Address.Read(ip[8..]);
            destination = Ipv6Address.Read(ip[24..]);
            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            var fragment = ip[40..];
            id ??= BinaryPrimitives.ReadUInt32BigEndian(fragment[4..]);
            BinaryPrimitives.ReadUInt32BigEndian(fragment[4..]).Should().Be(id.Value);
            fragment[0].Should().Be(58);
            int offset = BinaryPrimitives.ReadUInt16BigEndian(fragment[2..]) & 0xFFF8;
            bool more = (fragment[3] & 1) != 0;
            offset.Should().Be(data.Count);
            more.Should().Be(i < frames.Count - 1);
            data.AddRange(fragment[8..payloadLength].ToArray());
        }
        return data.ToArray();
    }

    [Test]
    public void A_3000_byte_ping6_leaves_in_three_fragments_and_the_fragmented_reply_completes_it()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var ping = host.Stack.PingAsync(PeerIp, dataLength: 3000, timeout: Duration.FromSeconds(5));
        var sent = host.TakeSent();
        sent.Should().HaveCount(3);
        sent.Select(f => f.Bytes.Length - 14).Should().Equal(1496, 1496, 160);
        var message = Reassemble(sent, 1500, out var source, out var destination);
        message.Should().HaveCount(3008);
        message[0].Should().Be(128);
        ReferenceChecksum.Transport(source.Bytes(), destination.Bytes(), 58, message).Should().Be(0);
        host.Stack.Counters.Ipv6FragmentsSent.Should().Be(3);

        // The reply, fragmented by the peer, arrives last fragment first.
        var reply = Ipv6Frames.Echo(PeerIp, Ip, BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(4)), 1, message[8..], reply: true);
        var t = Instant.FromMilliseconds(3);
        for (int at = 2400; at >= 0; at -= 1200)
        {
            int length = Math.Min(1200, reply.Length - at);
            host.FeedAt(t, FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, at, at + length < reply.Length, 99),
                reply[at..(at + length)])));
        }
        ping.IsCompleted.Should().BeTrue();
        ping.Result.Status.Should().Be(PingStatus.Success);
        ping.Result.DataLength.Should().Be(3000);
        ping.Result.Responder.Should().Be((IpAddress)PeerIp);
        ping.Result.RoundTripTime.Should().Be(Duration.FromMilliseconds(3));
        host.Stack.Counters.Ipv6DatagramsReassembled.Should().Be(1);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void A_fragmented_echo_request_is_reassembled_whatever_the_order_and_answered_in_fragments()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var fragments = PeerEchoFragments(3000, 1232, 0xCAFE, out var data);
        fragments.Should().HaveCount(3);
        var t = Instant.FromMilliseconds(20);
        host.FeedAt(t, fragments[1].Frame);
        host.FeedAt(t, fragments[2].Frame);
        host.TakeSent().Should().BeEmpty("the first fragment is missing");
        host.FeedAt(t, fragments[0].Frame);
        var sent = host.TakeSent();
        sent.Should().HaveCount(3);
        sent.Should().OnlyContain(f => f.Time == t);
        var reply = Reassemble(sent, 1500, out _, out var to);
        to.Should().Be(PeerIp);
        reply[0].Should().Be(129);
        reply[8..].Should().Equal(data);
    }

    [Test]
    public void An_atomic_fragment_is_processed_as_a_whole_packet()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 0, false, 5), Ipv6Frames.Echo(PeerIp, Ip, 1, 1, [9, 9]))));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out _, out _)[0].Should().Be(129);
        host.Stack.Ipv6.Reassembler.ActiveCount.Should().Be(0, "no reassembly is started (RFC 6946)");
    }

    [Test]
    public void Overlapping_fragments_discard_the_whole_packet_including_fragments_still_to_come()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var fragments = PeerEchoFragments(3000, 1232, 77, out _);
        host.Feed(fragments[0].Frame);
        var message = Ipv6Frames.Echo(PeerIp, Ip, 0x1234, 7, TestFrames.Pattern(3000, seed: 5));
        // Overlaps the first fragment's last 8 bytes.
        host.Feed(FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 1224, true, 77), message[1224..2456])));
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentOverlap).Should().Be(1);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0, "the buffers are released at once");
        host.Feed(fragments[1].Frame);
        host.Feed(fragments[2].Frame);
        host.TakeSent().Should().BeEmpty("no reply: the packet is gone for good (RFC 5722)");
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentOverlap).Should().Be(3);
        host.RunUntil(Instant.FromSeconds(61));
        host.TakeSent().Should().BeEmpty("a discarded packet draws no Time Exceeded");
        host.Stack.Ipv6.Reassembler.ActiveCount.Should().Be(0);
    }

    [Test]
    public void An_incomplete_packet_times_out_after_60_s_with_time_exceeded_quoting_the_first_fragment()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        var fragments = PeerEchoFragments(3000, 1232, 88, out _);
        var t = Instant.FromSeconds(1);
        host.FeedAt(t, fragments[0].Frame);
        host.FeedAt(t, fragments[2].Frame);
        host.RunUntil(t + Duration.FromSeconds(60) - Duration.FromMilliseconds(1));
        host.TakeSent().Should().BeEmpty();
        host.RunUntil(t + Duration.FromSeconds(60));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(t + Duration.FromSeconds(60));
        var error = Ipv6Frames.Icmpv6Of(sent[0].Bytes, out _, out var to, out bool valid);
        valid.Should().BeTrue();
        to.Should().Be(PeerIp);
        (error[0], error[1]).Should().Be(((byte)3, (byte)1));
        error[8..].Should().Equal(fragments[0].Frame[14..(14 + error.Length - 8)], "it quotes the first fragment");
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentTimeout).Should().Be(1);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void A_timed_out_packet_whose_first_fragment_never_came_draws_no_error()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(PeerEchoFragments(3000, 1232, 89, out _)[1].Frame);
        host.RunUntil(Instant.FromSeconds(61));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentTimeout).Should().Be(1);
    }

    [Test]
    public void A_non_last_fragment_not_a_multiple_of_8_draws_parameter_problem_at_payload_length()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 0, true, 3), Ipv6Frames.Echo(PeerIp, Ip, 1, 1, new byte[92]))));
        var error = Ipv6Frames.Icmpv6Of(host.TakeSent().Single().Bytes, out _, out _, out _);
        (error[0], error[1]).Should().Be(((byte)4, (byte)0));
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(4);
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentInconsistent).Should().Be(1);
    }

    [Test]
    public void A_fragment_reaching_beyond_65535_bytes_draws_parameter_problem_at_its_offset()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 65528, false, 3), TestFrames.Pattern(16))));
        var error = Ipv6Frames.Icmpv6Of(host.TakeSent().Single().Bytes, out _, out _, out _);
        (error[0], error[1]).Should().Be(((byte)4, (byte)0));
        BinaryPrimitives.ReadUInt32BigEndian(error.AsSpan(4)).Should().Be(42);
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentTooLarge).Should().Be(1);
    }

    [Test]
    public void A_flood_of_fragments_that_never_complete_stays_within_the_reassembly_bounds()
    {
        var options = Quiet with { MaxReassemblies = 32, ReassemblyMemoryLimit = 256 * 1024 };
        var host = new Ipv6Host(options);
        host.LearnPeer();
        for (uint id = 0; id < 5000; id++)
        {
            host.Feed(FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, (int)(id % 7) * 1232, true, id), TestFrames.Pattern(1232))));
            host.Stack.Ipv6.Reassembler.ActiveCount.Should().BeLessThanOrEqualTo(32);
            host.Stack.Ipv6.Reassembler.BytesHeld.Should().BeLessThanOrEqualTo(256 * 1024);
        }
        host.Stack.Counters.Dropped(DropReason.Ipv6FragmentMemoryExhausted).Should().BeGreaterThan(4000);
        // A legitimate packet still gets through the flood.
        foreach (var (_, frame) in PeerEchoFragments(2000, 1232, 999_999, out _)) host.Feed(frame);
        host.TakeSent().Should().HaveCount(2, "the fragmented reply");
        host.RunUntil(Instant.FromSeconds(61));
        host.Stack.Ipv6.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void Packet_too_big_lowers_the_path_mtu_and_later_packets_are_fragmented_to_it_until_it_expires()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        _ = host.Stack.PingAsync(PeerIp, dataLength: 1400, timeout: Duration.FromSeconds(1));
        var request = host.TakeSent().Single();
        request.Bytes.Length.Should().Be(14 + 40 + 8 + 1400);
        // A router on the way says 1280.
        var quoted = request.Bytes[14..(14 + 1232)];
        host.Feed(FromPeer(58, Ipv6Frames.Icmpv6(RouterLinkLocalGlobal, Ip, 2, 0, 1280, quoted), source: RouterLinkLocalGlobal));
        host.Stack.Ipv6.MtuFor(PeerIp).Should().Be(1280);
        host.Stack.Counters.Ipv6PathMtuReductions.Should().Be(1);

        _ = host.Stack.PingAsync(PeerIp, dataLength: 1400, timeout: Duration.FromSeconds(1));
        var sent = host.TakeSent();
        sent.Should().HaveCount(2);
        sent.Should().OnlyContain(f => f.Bytes.Length - 14 <= 1280);
        Reassemble(sent, 1280, out _, out _).Should().HaveCount(1408);

        host.RunUntil(Instant.FromSeconds(601));
        host.Stack.Ipv6.MtuFor(PeerIp).Should().Be(1500, "RFC 8201 §4: the estimate is raised again after 10 minutes");
    }

    [Test]
    public void Packet_too_big_below_1280_is_taken_as_1280()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        _ = host.Stack.PingAsync(PeerIp, dataLength: 1400, timeout: Duration.FromSeconds(1));
        var request = host.TakeSent().Single();
        host.Feed(FromPeer(58, Ipv6Frames.Icmpv6(RouterLinkLocalGlobal, Ip, 2, 0, 600, request.Bytes[14..(14 + 1232)]),
            source: RouterLinkLocalGlobal));
        host.Stack.Ipv6.MtuFor(PeerIp).Should().Be(1280);
    }

    private static readonly Ipv6Address RouterLinkLocalGlobal = Ipv6Address.Parse("2001:db8::1");
}
