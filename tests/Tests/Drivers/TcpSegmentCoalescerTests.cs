using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Drivers.Tap;
using Netstack.Link;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Drivers;

/// <summary>The tap's receive coalescing (GRO): which segments join, that the joined frame's checksums are right,
/// and that everything else reaches the stack unchanged and in order.</summary>
public class TcpSegmentCoalescerTests
{
    private const uint Ack = 777;

    private sealed class Receiver : IFrameReceiver
    {
        public readonly List<(byte[] Frame, bool Verified)> Frames = new();
        public void ReceiveFrame(ReadOnlySpan<byte> frame) => Frames.Add((frame.ToArray(), false));
        public void ReceiveFrame(ReadOnlySpan<byte> frame, bool transportChecksumVerified) =>
            Frames.Add((frame.ToArray(), transportChecksumVerified));
    }

    /// <summary>A TCP/IPv4 frame with a timestamp option (12 bytes, as Linux sends) and a payload of
    /// <paramref name="length"/> bytes numbered from <paramref name="sequence"/>.</summary>
    private static byte[] Segment(uint sequence, int length, TcpFlags flags = TcpFlags.Ack, ushort window = 500,
        uint tsVal = 1000)
    {
        const int tcpHeader = 32;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + tcpHeader + length];
        EthernetFrame.WriteHeader(frame, Mac, PeerMac, EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        Ipv4Packet.WriteHeader(ip, new Ipv4Header(PeerIp, Ip, IpProtocol.Tcp, ip.Length, (ushort)sequence, DontFragment: true));
        var tcp = ip[Ipv4Packet.MinHeaderLength..];
        tcp[20] = 1; tcp[21] = 1; tcp[22] = 8; tcp[23] = 10; // NOP NOP TS
        BinaryPrimitives.WriteUInt32BigEndian(tcp[24..], tsVal);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[28..], 5);
        for (int i = 0; i < length; i++) tcp[tcpHeader + i] = (byte)((sequence + i) * 7);
        TcpSegment.WriteHeader(tcp, new TcpHeader(40000, 9, sequence, Ack, flags, window, tcpHeader), PeerIp, Ip);
        return frame;
    }

    private static Receiver Feed(params byte[][] frames)
    {
        var coalescer = new TcpSegmentCoalescer();
        var receiver = new Receiver();
        foreach (var f in frames) coalescer.Add(f, receiver);
        coalescer.Flush(receiver);
        return receiver;
    }

    private static void ShouldBeValid(byte[] frame)
    {
        var ip = new Ipv4Packet(frame.AsSpan(EthernetFrame.HeaderLength));
        ip.TotalLength.Should().Be(frame.Length - EthernetFrame.HeaderLength);
        Checksum.IsValid(Checksum.Accumulate(0, ip.Header)).Should().BeTrue("the IPv4 header checksum is valid");
        new TcpSegment(ip.Payload).IsChecksumValid(ip.Source, ip.Destination).Should().BeTrue("the TCP checksum is valid");
    }

    [Test]
    public void Consecutive_segments_become_one_with_the_payloads_in_order_and_valid_checksums()
    {
        // An odd-sized payload in the middle puts the next one at an odd offset of the joined payload.
        var frames = new[] { Segment(1000, 1448), Segment(2448, 1001), Segment(3449, 1448), Segment(4897, 700, TcpFlags.Ack | TcpFlags.Psh) };
        var received = Feed(frames).Frames;
        received.Should().ContainSingle();
        var (joined, verified) = received[0];
        verified.Should().BeTrue();
        ShouldBeValid(joined);
        var tcp = new TcpSegment(new Ipv4Packet(joined.AsSpan(EthernetFrame.HeaderLength)).Payload);
        tcp.SequenceNumber.Should().Be(1000u);
        tcp.Flags.Should().Be(TcpFlags.Ack | TcpFlags.Psh);
        var expected = frames.SelectMany(f => new TcpSegment(new Ipv4Packet(f.AsSpan(EthernetFrame.HeaderLength)).Payload).Payload.ToArray());
        tcp.Payload.ToArray().Should().Equal(expected);
    }

    [Test]
    public void A_single_segment_passes_unchanged()
    {
        var frame = Segment(1000, 1448);
        var received = Feed(frame).Frames;
        received.Should().ContainSingle();
        received[0].Frame.Should().Equal(frame);
    }

    [Test]
    public void A_segment_with_a_bad_checksum_is_handed_on_as_it_came_between_the_runs_around_it()
    {
        var bad = Segment(2448, 1448);
        bad[^1] ^= 0x5A;
        var received = Feed(Segment(1000, 1448), bad, Segment(3896, 1448), Segment(5344, 1448)).Frames;
        received.Select(r => r.Frame.Length).Should().Equal(bad.Length, bad.Length, bad.Length + 1448);
        received[1].Frame.Should().Equal(bad);
        received[1].Verified.Should().BeFalse("the stack verifies it, and drops and counts it");
        ShouldBeValid(received[2].Frame);
    }

    [Test]
    public void A_gap_another_ack_window_or_timestamp_or_a_control_flag_ends_the_run()
    {
        var received = Feed(
            Segment(1000, 100), Segment(1200, 100), // gap
            Segment(1300, 100, window: 501), // another window
            Segment(1400, 100, window: 501, tsVal: 1001), // another timestamp
            Segment(1500, 100, TcpFlags.Ack | TcpFlags.Fin, window: 501, tsVal: 1001)).Frames;
        received.Should().HaveCount(5);
        received[4].Verified.Should().BeFalse("a FIN is never joined: the stack sees it as it came");
    }

    [Test]
    public void Frames_that_are_not_joinable_keep_their_place()
    {
        var arp = new byte[60];
        EthernetFrame.WriteHeader(arp, MacAddress.Broadcast, PeerMac, EtherType.Arp);
        var received = Feed(Segment(1000, 100), Segment(1100, 100), arp, Segment(1200, 100)).Frames;
        received.Select(r => r.Frame.Length).Should().Equal(Segment(0, 200).Length, 60, Segment(0, 100).Length);
    }

    [Test]
    public void A_run_stops_short_of_the_largest_ipv4_datagram()
    {
        var frames = Enumerable.Range(0, 50).Select(i => Segment(1000 + (uint)(i * 1448), 1448)).ToArray();
        var received = Feed(frames).Frames;
        received.Should().HaveCount(2);
        foreach (var r in received)
        {
            (r.Frame.Length - EthernetFrame.HeaderLength).Should().BeLessThanOrEqualTo(Ipv4Packet.MaxTotalLength);
            ShouldBeValid(r.Frame);
        }
        received.Sum(r => r.Frame.Length).Should().Be(frames.Sum(f => f.Length) - 48 * 66);
    }
}
