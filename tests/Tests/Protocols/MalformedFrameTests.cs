using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Tests.Wire;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Malformed frames: each is dropped and counted under the reason that names what is wrong,
/// nothing is sent in reply, and nothing throws.</summary>
public class MalformedFrameTests
{
    private static byte[] EchoRequest() => FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, TestFrames.Pattern(32)));
    private static byte[] UdpToOpenPort() => FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, TestFrames.Pattern(24)));

    /// <summary>Feeds one frame and checks that exactly one drop, under <paramref name="reason"/>, was counted.</summary>
    private static void ShouldDropExactlyOnce(TracedHost host, byte[] frame, DropReason reason, string because)
    {
        long total = host.Stack.Counters.TotalDropped, before = host.Stack.Counters.Dropped(reason);
        long received = host.Stack.Counters.FramesReceived;
        var act = () => host.Feed(frame);
        act.Should().NotThrow(because);
        host.Stack.Counters.FramesReceived.Should().Be(received + 1);
        host.Stack.Counters.Dropped(reason).Should().Be(before + 1, because);
        host.Stack.Counters.TotalDropped.Should().Be(total + 1, because + " (one reason only)");
        host.TakeSent().Should().BeEmpty(because);
    }

    private static void FixIpChecksum(byte[] frame)
    {
        int ihl = (frame[14] & 15) * 4;
        frame[24] = frame[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(24), ReferenceChecksum.Compute(frame.AsSpan(14, Math.Min(ihl, frame.Length - 14))));
    }

    [Test]
    public void An_ipv4_frame_truncated_at_every_length_is_dropped_under_the_layer_it_breaks()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var frame = EchoRequest();
        for (int n = 0; n < frame.Length; n++)
        {
            var reason = n < 14 ? DropReason.EthernetTruncated
                : n < 34 ? DropReason.Ipv4Truncated
                : DropReason.Ipv4TotalLengthBeyondFrame;
            ShouldDropExactlyOnce(host, frame[..n], reason, $"truncated to {n} bytes");
        }
    }

    [Test]
    public void An_arp_frame_truncated_at_every_length_is_dropped()
    {
        var host = new TracedHost();
        var frame = TestFrames.Arp(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, Ip);
        for (int n = 0; n < frame.Length; n++)
            ShouldDropExactlyOnce(host, frame[..n], n < 14 ? DropReason.EthernetTruncated : DropReason.ArpMalformed, $"truncated to {n} bytes");
        host.Interface.Arp.Entries.Should().BeEmpty();
    }

    [Test]
    public void Transport_headers_shorter_than_8_bytes_inside_a_valid_datagram_are_dropped()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Stack.OpenUdp(4000);
        var icmp = TestFrames.Echo(IcmpType.EchoRequest, 1, 1, []);
        var udp = TestFrames.Udp(PeerIp, Ip, 5000, 4000, []);
        for (int n = 0; n < 8; n++)
        {
            ShouldDropExactlyOnce(host, FromPeer(IpProtocol.Icmp, icmp[..n]), DropReason.IcmpTruncated, $"ICMP of {n} bytes");
            ShouldDropExactlyOnce(host, FromPeer(IpProtocol.Udp, udp[..n]), DropReason.UdpMalformed, $"UDP of {n} bytes");
        }
    }

    [Test]
    public void Header_lengths_below_20_bytes_are_bad([Values(0, 1, 2, 3, 4)] int ihlWords)
    {
        var host = new TracedHost();
        var frame = EchoRequest();
        frame[14] = (byte)(0x40 | ihlWords);
        FixIpChecksum(frame);
        ShouldDropExactlyOnce(host, frame, DropReason.Ipv4BadHeaderLength, $"IHL {ihlWords}");
    }

    [Test]
    public void A_header_length_beyond_the_frame_is_truncation_and_beyond_total_length_is_bad_total_length()
    {
        var host = new TracedHost();
        var tiny = FromPeer((IpProtocol)99, []); // 34 bytes: the header only
        tiny[14] = 0x46;
        ShouldDropExactlyOnce(host, tiny, DropReason.Ipv4Truncated, "IHL 24 bytes in a 20-byte datagram frame");

        var frame = EchoRequest(); // total length 60
        frame[14] = 0x4F;          // IHL 60 bytes: within the 60-byte datagram
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), 56);
        FixIpChecksum(frame);
        ShouldDropExactlyOnce(host, frame, DropReason.Ipv4BadTotalLength, "total length 56 below IHL 60");
    }

    [Test]
    public void Other_ip_versions_are_dropped()
    {
        var host = new TracedHost();
        var frame = EchoRequest();
        frame[14] = 0x65;
        FixIpChecksum(frame);
        ShouldDropExactlyOnce(host, frame, DropReason.Ipv4BadVersion, "version 6 in an IPv4 ethertype");
    }

    [Test]
    public void Total_lengths_below_the_header_or_beyond_the_frame_are_dropped()
    {
        var host = new TracedHost();
        foreach (var total in new[] { 0, 1, 19 })
        {
            var frame = EchoRequest();
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)total);
            FixIpChecksum(frame);
            ShouldDropExactlyOnce(host, frame, DropReason.Ipv4BadTotalLength, $"total length {total}");
        }
        foreach (var extra in new[] { 1, 2, 100, 65535 - 60 })
        {
            var frame = EchoRequest();
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), (ushort)(60 + extra));
            FixIpChecksum(frame);
            ShouldDropExactlyOnce(host, frame, DropReason.Ipv4TotalLengthBeyondFrame, $"total length 60+{extra}");
        }
    }

    [Test]
    public void Every_single_bit_error_in_the_ip_header_is_caught_by_its_checksum_or_another_check()
    {
        var host = new TracedHost();
        host.LearnPeer();
        for (int bit = 0; bit < 160; bit++)
        {
            var frame = EchoRequest();
            frame[14 + bit / 8] ^= (byte)(0x80 >> (bit % 8));
            long before = host.Stack.Counters.TotalDropped;
            host.Feed(frame);
            host.Stack.Counters.TotalDropped.Should().Be(before + 1, $"bit {bit} flipped");
            host.TakeSent().Should().BeEmpty($"bit {bit} flipped");
        }
        host.Stack.Counters.Dropped(DropReason.Ipv4BadChecksum).Should().BeGreaterThan(100);
    }

    [Test]
    public void A_fragment_reaching_past_65535_bytes_is_dropped()
    {
        var host = new TracedHost();
        ShouldDropExactlyOnce(host, FromPeer(IpProtocol.Udp, new byte[16], moreFragments: false, fragmentOffset: 65528),
            DropReason.Ipv4FragmentTooLarge, "offset 65528 + 16 bytes");
    }

    [Test]
    public void A_last_fragment_that_disagrees_with_data_already_seen_is_inconsistent()
    {
        var host = new TracedHost();
        host.Feed(FromPeer(IpProtocol.Udp, new byte[800], id: 3, moreFragments: true, fragmentOffset: 800));
        ShouldDropExactlyOnce(host, FromPeer(IpProtocol.Udp, new byte[8], id: 3, fragmentOffset: 400),
            DropReason.FragmentInconsistent, "the last fragment ends at 408 but data reaches 1600");
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
    }

    [TestCase(0, 16, TestName = "Overlap at the start")]
    [TestCase(1472, 16, TestName = "Overlap across the end of a fragment")]
    [TestCase(8, 8, TestName = "Overlap inside a fragment")]
    [TestCase(0, 1488, TestName = "A fragment covering another")]
    public void Overlapping_fragments_drop_the_datagram(int offset, int length)
    {
        var host = new TracedHost();
        host.Feed(FromPeer(IpProtocol.Udp, new byte[1480], id: 4, moreFragments: true));
        ShouldDropExactlyOnce(host, FromPeer(IpProtocol.Udp, new byte[length], id: 4, moreFragments: true, fragmentOffset: offset),
            DropReason.FragmentOverlap, $"{length} bytes at {offset}");
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void Udp_length_fields_that_lie_are_dropped()
    {
        var host = new TracedHost();
        host.Stack.OpenUdp(4000);
        foreach (var claimed in new[] { 0, 1, 7, 33, 100, 65535 })
        {
            var frame = UdpToOpenPort(); // UDP length 32
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(34 + 4), (ushort)claimed);
            ShouldDropExactlyOnce(host, frame, DropReason.UdpMalformed, $"UDP length {claimed} for 32 bytes");
        }
        var shortClaim = UdpToOpenPort();
        BinaryPrimitives.WriteUInt16BigEndian(shortClaim.AsSpan(34 + 4), 20);
        ShouldDropExactlyOnce(host, shortClaim, DropReason.UdpBadChecksum, "a shorter length is legal but the checksum no longer matches");
    }
}
