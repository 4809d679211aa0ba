using Netstack.Drivers.Segments;
using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Network;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>IPv4 fragmentation on send and reassembly on receive (RFC 791 §3.2, RFC 815), as packet traces.</summary>
public class Ipv4FragmentationTraceTests
{
    private const ushort Id = 0x4242;

    /// <summary>An echo request with <paramref name="dataLength"/> bytes, cut into fragments of at most
    /// <paramref name="chunk"/> payload bytes, as frames from the peer.</summary>
    private static (byte[] Message, List<byte[]> Fragments) FragmentedEcho(int dataLength, int chunk = 1480, ushort id = Id)
    {
        var message = TestFrames.Echo(IcmpType.EchoRequest, 7, 1, TestFrames.Pattern(dataLength));
        var fragments = new List<byte[]>();
        for (int offset = 0; offset < message.Length; offset += chunk)
        {
            int length = Math.Min(chunk, message.Length - offset);
            fragments.Add(FromPeer(IpProtocol.Icmp, message[offset..(offset + length)], id: id,
                moreFragments: offset + length < message.Length, fragmentOffset: offset));
        }
        return (message, fragments);
    }

    /// <summary>Puts the payloads of IPv4 fragments back together (the reference reassembler).</summary>
    private static byte[] Reassemble(IEnumerable<TransmittedFrame> frames)
    {
        var parts = frames.Select(f => f.Extract<Pdn.IPv4Packet>()).OrderBy(ip => ip.FragmentOffset).ToList();
        var whole = new List<byte>();
        foreach (var ip in parts)
        {
            (ip.FragmentOffset * 8).Should().Be(whole.Count, "fragments are contiguous");
            whole.AddRange(ip.Bytes[(ip.HeaderLength * 4)..ip.TotalLength]);
        }
        return whole.ToArray();
    }

    [TestCase(1500, new[] { 1480, 1480, 48 })]
    [TestCase(576, new[] { 552, 552, 552, 552, 552, 248 })]
    public void A_datagram_above_the_mtu_leaves_as_fragments_with_correct_offsets_flags_and_lengths(int mtu, int[] expectedPayloads)
    {
        var host = new TracedHost(mtu: mtu);
        host.LearnPeer();
        host.Stack.Ping.PingAsync(PeerIp, dataLength: 3000, timeout: Duration.FromSeconds(5));
        var sent = host.TakeSent();
        sent.Should().HaveCount(expectedPayloads.Length);

        int offset = 0;
        ushort? id = null;
        for (int i = 0; i < sent.Count; i++)
        {
            sent[i].Bytes.Length.Should().BeLessThanOrEqualTo(mtu + 14);
            var ip = sent[i].Extract<Pdn.IPv4Packet>();
            ip.ValidIPChecksum.Should().BeTrue();
            ip.TotalLength.Should().Be(20 + expectedPayloads[i]);
            (ip.FragmentOffset * 8).Should().Be(offset);
            bool last = i == sent.Count - 1;
            ip.FragmentFlags.Should().Be(last ? 0 : 1, "MF on all but the last fragment, DF never");
            ip.SourceAddress.ToOurs().Should().Be(Ip);
            ip.DestinationAddress.ToOurs().Should().Be(PeerIp);
            ip.Protocol.Should().Be(Pdn.ProtocolType.Icmp);
            (id ??= ip.Id).Should().Be(ip.Id, "every fragment carries the datagram's identification");
            offset += expectedPayloads[i];
        }
        host.Stack.Counters.FragmentsSent.Should().Be(expectedPayloads.Length);

        var whole = Reassemble(sent);
        whole.Length.Should().Be(3008);
        ReferenceChecksumOk(whole).Should().BeTrue("the reassembled ICMP message checksums correctly");
        whole[0].Should().Be((byte)IcmpType.EchoRequest);
        whole[8..].Should().Equal(Enumerable.Range(0, 3000).Select(i => (byte)(i + 8)));
    }

    private static bool ReferenceChecksumOk(byte[] m) => Netstack.Tests.Wire.ReferenceChecksum.Compute(m) == 0;

    [Test]
    public void A_datagram_that_fits_is_not_fragmented_and_DF_above_the_mtu_is_refused()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Stack.Ping.PingAsync(PeerIp, dataLength: 1472);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Extract<Pdn.IPv4Packet>().FragmentFlags.Should().Be(0);
        sent[0].Bytes.Length.Should().Be(1514);

        var tooBig = host.Stack.Ping.PingAsync(PeerIp, dataLength: 1473, dontFragment: true);
        tooBig.Result.Status.Should().Be(Api.PingStatus.TooBig);
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.Ipv4DontFragmentTooBig).Should().Be(1);
    }

    private static IEnumerable<int[]> Orders()
    {
        int[] items = [0, 1, 2];
        foreach (var a in items)
        foreach (var b in items)
        foreach (var c in items)
            if (a != b && b != c && a != c) yield return [a, b, c];
    }

    [TestCaseSource(nameof(Orders))]
    public void Fragments_are_reassembled_in_any_order_and_answered_once(int[] order)
    {
        var host = new TracedHost();
        host.LearnPeer();
        var (message, fragments) = FragmentedEcho(3000);
        for (int i = 0; i < order.Length; i++)
        {
            host.FeedAt(Instant.FromMilliseconds(i + 1), fragments[order[i]]);
            if (i < order.Length - 1) host.TakeSent().Should().BeEmpty("nothing happens until the datagram is whole");
        }
        var reply = host.TakeSent();
        reply.Should().HaveCount(3, "the 3008-byte reply is fragmented again");
        reply.Should().OnlyContain(f => f.Time == Instant.FromMilliseconds(3));
        var whole = Reassemble(reply);
        whole[0].Should().Be((byte)IcmpType.EchoReply);
        whole[4..].Should().Equal(message[4..], "same identifier, sequence and data");
        ReferenceChecksumOk(whole).Should().BeTrue();
        host.Stack.Counters.DatagramsReassembled.Should().Be(1);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void Duplicate_fragments_are_ignored()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var (_, fragments) = FragmentedEcho(3000);
        host.Feed(fragments[0]);
        host.Feed(fragments[0]);
        host.Feed(fragments[1]);
        host.Feed(fragments[1]);
        host.Feed(fragments[2]);
        host.TakeSent().Should().HaveCount(3);
        host.Feed(fragments[2]);
        host.Stack.Counters.DatagramsReassembled.Should().Be(1);
        host.Stack.Counters.Dropped(DropReason.FragmentOverlap).Should().Be(0);
    }

    [Test]
    public void An_overlapping_fragment_drops_the_whole_datagram_and_is_counted()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var (message, fragments) = FragmentedEcho(3000);
        host.Feed(fragments[0]);
        // 16 bytes at offset 1472: overlaps the end of fragment 0 (0..1480) with different data.
        host.Feed(FromPeer(IpProtocol.Icmp, new byte[16], id: Id, moreFragments: true, fragmentOffset: 1472));
        host.Stack.Counters.Dropped(DropReason.FragmentOverlap).Should().Be(1);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);

        host.Feed(fragments[1]);
        host.Feed(fragments[2]);
        host.TakeSent().Should().BeEmpty("fragment 0 was thrown away with the datagram");
        host.Stack.Counters.DatagramsReassembled.Should().Be(0);
    }

    [Test]
    public void An_incomplete_datagram_times_out_after_30_s_with_time_exceeded_code_1_when_fragment_0_arrived()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var (message, fragments) = FragmentedEcho(3000);
        host.FeedAt(Instant.FromSeconds(1), fragments[0]);
        host.FeedAt(Instant.FromSeconds(2), fragments[2]);

        host.RunUntil(Instant.FromSeconds(30.999));
        host.TakeSent().Should().BeEmpty("the timer runs from the first fragment: due at 31 s");
        host.RunUntil(Instant.FromSeconds(31));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        var ip = sent[0].Extract<Pdn.IPv4Packet>();
        ip.DestinationAddress.ToOurs().Should().Be(PeerIp);
        var icmp = sent[0].Extract<Pdn.IcmpV4Packet>();
        ((ushort)icmp.TypeCode).Should().Be(0x0B01, "Time Exceeded, code 1: fragment reassembly time exceeded");
        icmp.ValidIcmpChecksum.Should().BeTrue();
        var quoted = icmp.Data;
        quoted.Length.Should().Be(28, "the original header and the first 8 bytes of its data");
        quoted.Should().Equal(fragments[0][14..42]);
        host.Stack.Counters.Dropped(DropReason.FragmentTimeout).Should().Be(1);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void An_incomplete_datagram_without_fragment_0_times_out_silently()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var (_, fragments) = FragmentedEcho(3000);
        host.Feed(fragments[1]);
        host.Feed(fragments[2]);
        host.RunUntil(Instant.FromSeconds(100));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.FragmentTimeout).Should().Be(1);
    }

    [Test]
    public void Reassembly_memory_stays_within_its_limit_and_excess_is_dropped_and_counted()
    {
        const int limit = 16_000;
        var host = new TracedHost(new StackOptions
        {
            Arp = new Link.ArpOptions { SendGratuitousOnStart = false },
            Ipv4 = new Ipv4Options { ReassemblyMemoryLimit = limit },
        });
        for (int i = 0; i < 40; i++)
        {
            var (_, fragments) = FragmentedEcho(3000, id: (ushort)(1000 + i));
            host.Feed(fragments[0]);
            host.Stack.Ipv4.Reassembler.BytesHeld.Should().BeLessThanOrEqualTo(limit);
        }
        host.Stack.Counters.Dropped(DropReason.FragmentMemoryExhausted).Should().BeGreaterThan(0);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(40 - (int)host.Stack.Counters.Dropped(DropReason.FragmentMemoryExhausted));

        // A fragment far into a datagram needs a buffer that alone exceeds the limit.
        host.Feed(FromPeer(IpProtocol.Icmp, new byte[8], id: 7, moreFragments: true, fragmentOffset: 60000));
        host.Stack.Ipv4.Reassembler.BytesHeld.Should().BeLessThanOrEqualTo(limit);
        host.TakeSent().Should().BeEmpty();
    }

    [Test]
    public void At_most_the_configured_number_of_datagrams_are_reassembled_at_once()
    {
        var host = new TracedHost(new StackOptions
        {
            Arp = new Link.ArpOptions { SendGratuitousOnStart = false },
            Ipv4 = new Ipv4Options { MaxReassemblies = 4 },
        });
        for (int i = 0; i < 6; i++)
            host.Feed(FragmentedEcho(3000, id: (ushort)(2000 + i)).Fragments[1]);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(4);
        host.Stack.Counters.Dropped(DropReason.FragmentMemoryExhausted).Should().Be(2);
    }

    [Test]
    public void A_non_final_fragment_whose_length_is_not_a_multiple_of_8_is_inconsistent()
    {
        var host = new TracedHost();
        host.Feed(FromPeer(IpProtocol.Icmp, new byte[100], id: 5, moreFragments: true));
        host.Stack.Counters.Dropped(DropReason.FragmentInconsistent).Should().Be(1);
        host.Stack.Ipv4.Reassembler.ActiveCount.Should().Be(0);
    }

    [Test]
    public void Random_fragmentations_in_random_order_with_duplicates_reassemble_exactly_once()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000, receiveQueueLimit: 1);
        var random = new Random(77);
        var into = new byte[9000];
        for (int round = 0; round < 200; round++)
        {
            var payload = new byte[random.Next(1, 8000)];
            random.NextBytes(payload);
            var datagram = TestFrames.Udp(PeerIp, Ip, 5000, 4000, payload);
            var fragments = new List<byte[]>();
            for (int offset = 0; offset < datagram.Length;)
            {
                int length = Math.Min(datagram.Length - offset, random.Next(1, 185) * 8);
                fragments.Add(FromPeer(IpProtocol.Udp, datagram[offset..(offset + length)], id: (ushort)round,
                    moreFragments: offset + length < datagram.Length, fragmentOffset: offset));
                offset += length;
            }
            int pieces = fragments.Count;
            var shuffled = fragments.OrderBy(_ => random.Next()).ToList();
            // Duplicates of earlier fragments, fed before the last new one completes the datagram (a copy
            // arriving after completion would rightly start a new reassembly: IP may duplicate datagrams).
            if (pieces > 1)
                for (int d = random.Next(0, 4); d > 0; d--)
                {
                    int last = shuffled.Count - 1;
                    int original = random.Next(last);
                    shuffled.Insert(random.Next(original + 1, last + 1), shuffled[original]);
                }
            long reassembled = host.Stack.Counters.DatagramsReassembled;

            foreach (var f in shuffled) host.Feed(f);

            socket.TryReceiveFrom(into, out var info).Should().BeTrue($"round {round}: {fragments.Count} fragments");
            info.Length.Should().Be(payload.Length);
            into.AsSpan(0, info.Length).SequenceEqual(payload).Should().BeTrue($"round {round}");
            socket.TryReceiveFrom(into, out _).Should().BeFalse("duplicates do not make a second datagram");
            host.Stack.Counters.DatagramsReassembled.Should().Be(reassembled + (pieces > 1 ? 1 : 0));
        }
        host.Stack.Counters.Dropped(DropReason.FragmentOverlap).Should().Be(0);
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(0);
    }

    [Test]
    public void Udp_sets_df_on_a_datagram_that_fits_and_fragments_a_larger_one_without_df_like_linux()
    {
        var host = new TracedHost(mtu: 1500);
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000);
        socket.SendTo(TestFrames.Pattern(1472), PeerIp, 5000); // 1500 bytes of IP: fits
        var fits = host.TakeSent().Single().Extract<Pdn.IPv4Packet>();
        ((int)fits.FragmentFlags & 2).Should().Be(2, "IP_PMTUDISC_WANT: DF on a datagram that fits the MTU");
        socket.SendTo(TestFrames.Pattern(1473), PeerIp, 5000);
        var fragments = host.TakeSent().Select(f => f.Extract<Pdn.IPv4Packet>()).ToList();
        fragments.Should().HaveCount(2);
        fragments.Should().OnlyContain(ip => ((int)ip.FragmentFlags & 2) == 0, "fragments never carry DF");
    }
}
