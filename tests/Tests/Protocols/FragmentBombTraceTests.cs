using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Tests.Wire;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;
using Netstack.Time;

namespace Netstack.Tests.Protocols;

/// <summary>Issue 18 #1: a datagram sent as ~45 fragments whose first fragment carries IP options can add up to
/// more than 65,535 bytes (header plus payload) although every fragment on its own is within the limit. It must
/// be refused and counted, not reassembled (a 16-bit total length wrapped to 0 crashed the stack).</summary>
public class FragmentBombTraceTests
{
    private const ushort Id = 0x5151;
    private const int Chunk = 1480;

    /// <summary>Fragments of <paramref name="message"/> from the peer; the first carries <paramref name="optionBytes"/>
    /// of IP options (NOPs, whose copy bit is clear, so later fragments have plain 20-byte headers).</summary>
    internal static List<byte[]> Fragments(IpProtocol protocol, byte[] message, int optionBytes, ushort id = Id)
    {
        var frames = new List<byte[]>();
        for (int offset = 0; offset < message.Length; offset += Chunk)
        {
            int length = Math.Min(Chunk, message.Length - offset);
            int ihl = 20 + (offset == 0 ? optionBytes : 0);
            var f = new byte[14 + ihl + length];
            PeerMac.Write(f.AsSpan(6));
            Mac.Write(f);
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), (ushort)EtherType.Ipv4);
            var ip = f.AsSpan(14);
            ip[0] = (byte)(0x40 | ihl / 4);
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(ihl + length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            bool more = offset + length < message.Length;
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], (ushort)((more ? 0x2000 : 0) | offset / 8));
            ip[8] = 64;
            ip[9] = (byte)protocol;
            PeerIp.Write(ip[12..]);
            Ip.Write(ip[16..]);
            ip[20..ihl].Fill(1); // NOP
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], ReferenceChecksum.Compute(ip[..ihl]));
            message.AsSpan(offset, length).CopyTo(ip[ihl..]);
            frames.Add(f);
        }
        return frames;
    }

    private static byte[] EchoRequest(int messageLength) =>
        TestFrames.Echo(IcmpType.EchoRequest, 7, 1, TestFrames.Pattern(messageLength - 8));

    private static byte[] UdpDatagram(int messageLength) =>
        TestFrames.Udp(PeerIp, Ip, 4000, 7, TestFrames.Pattern(messageLength - 8));

    internal static byte[] Message(IpProtocol protocol, int length) =>
        protocol == IpProtocol.Icmp ? EchoRequest(length) : UdpDatagram(length);

    // 65,512 payload bytes: the last fragment ends at 65,512 <= 65,515, so each fragment passes on its own,
    // but 24 + 65,512 = 65,536 and 60 + 65,512 = 65,572 do not fit a 16-bit total length.
    [TestCase(IpProtocol.Icmp, 4)]
    [TestCase(IpProtocol.Icmp, 40)]
    [TestCase(IpProtocol.Udp, 4)]
    [TestCase(IpProtocol.Udp, 40)]
    public void Fragments_adding_up_past_65535_with_options_in_the_first_are_refused_and_counted(IpProtocol protocol, int optionBytes)
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(7);
        var frames = Fragments(protocol, Message(protocol, 65_512), optionBytes);
        frames.Should().HaveCountGreaterThan(40);

        foreach (var f in frames) host.Feed(f);

        host.Stack.Counters.Dropped(DropReason.FragmentDatagramTooLarge).Should().Be(1);
        host.Stack.Counters.DatagramsReassembled.Should().Be(0);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0, "the datagram is discarded, not kept until its timeout");
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().Be(0);
        socket.TryReceiveFrom(out _).Should().BeFalse();
        host.TakeSent().Should().BeEmpty("nothing is answered, not even a Time Exceeded later");
        host.RunFor(Duration.FromSeconds(60));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Buffers.Outstanding.Should().Be(0);
    }

    [TestCase(IpProtocol.Icmp, 4)]
    [TestCase(IpProtocol.Icmp, 40)]
    [TestCase(IpProtocol.Udp, 40)]
    public void The_refusal_does_not_depend_on_the_order_the_fragments_arrive_in(IpProtocol protocol, int optionBytes)
    {
        var host = new TracedHost();
        host.LearnPeer();
        var frames = Fragments(protocol, Message(protocol, 65_512), optionBytes);
        frames.Reverse(); // the last fragment (and the total) is known before the header's length

        foreach (var f in frames) host.Feed(f);

        host.Stack.Counters.Dropped(DropReason.FragmentDatagramTooLarge).Should().Be(1);
        host.Stack.Counters.DatagramsReassembled.Should().Be(0);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
    }

    [Test]
    public void A_datagram_of_exactly_65535_bytes_with_options_is_still_reassembled_and_answered()
    {
        var host = new TracedHost();
        host.LearnPeer();
        // 40 bytes of options + 20 + 65,475 = 65,535.
        var frames = Fragments(IpProtocol.Icmp, EchoRequest(65_475), 40);

        foreach (var f in frames) host.Feed(f);

        host.Stack.Counters.DatagramsReassembled.Should().Be(1);
        host.Stack.Counters.Dropped(DropReason.FragmentDatagramTooLarge).Should().Be(0);
        host.Stack.Counters.IcmpEchoRepliesSent.Should().Be(1);
        host.TakeSent().Should().HaveCountGreaterThan(40, "the reply (20-byte header) leaves as fragments");
    }
}
