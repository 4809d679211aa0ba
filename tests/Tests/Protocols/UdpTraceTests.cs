using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>UDP (RFC 768) as packet traces.</summary>
public class UdpTraceTests
{
    [Test]
    public void A_datagram_sent_leaves_with_ports_payload_and_a_valid_checksum()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var payload = TestFrames.Pattern(200);
        host.Stack.OpenUdp(4000).SendTo(payload, PeerIp, 5000);
        var sent = host.TakeSent().Should().ContainSingle().Subject;
        var ip = sent.Extract<Pdn.IPv4Packet>();
        ip.Protocol.Should().Be(Pdn.ProtocolType.Udp);
        ip.TotalLength.Should().Be(20 + 8 + 200);
        var udp = sent.Extract<Pdn.UdpPacket>();
        udp.SourcePort.Should().Be(4000);
        udp.DestinationPort.Should().Be(5000);
        udp.Length.Should().Be(208);
        udp.ValidUdpChecksum.Should().BeTrue();
        udp.PayloadData.Should().Equal(payload);
    }

    [Test]
    public void A_datagram_received_is_delivered_to_the_bound_socket_with_its_source()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var payload = TestFrames.Pattern(33);
        host.FeedAt(Instant.FromMilliseconds(1), FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, payload)));
        socket.TryReceiveFrom(out var r).Should().BeTrue();
        r.Data.ToArray().Should().Equal(payload);
        r.RemoteAddress.Should().Be(PeerIp);
        r.RemotePort.Should().Be(5000);
        r.LocalAddress.Should().Be(Ip);
        socket.TryReceiveFrom(out _).Should().BeFalse();
        host.TakeSent().Should().BeEmpty();
    }

    [Test]
    public void A_zero_checksum_means_none_and_the_datagram_is_accepted()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var udp = TestFrames.Udp(PeerIp, Ip, 5000, 4000, [1, 2, 3]);
        udp[6] = udp[7] = 0;
        host.Feed(FromPeer(IpProtocol.Udp, udp));
        socket.TryReceiveFrom(out var r).Should().BeTrue();
        r.Data.ToArray().Should().Equal(1, 2, 3);
    }

    [Test]
    public void A_bad_checksum_drops_the_datagram_counts_it_and_sends_nothing()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000);
        var udp = TestFrames.Udp(PeerIp, Ip, 5000, 4000, [1, 2, 3]);
        udp[^1] ^= 0x10;
        host.Feed(FromPeer(IpProtocol.Udp, udp));
        socket.TryReceiveFrom(out _).Should().BeFalse();
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(1);
        host.TakeSent().Should().BeEmpty();

        // The same damage to a closed port is not answered either: the datagram cannot be trusted.
        var closed = TestFrames.Udp(PeerIp, Ip, 5000, 9, [1, 2, 3]);
        closed[^1] ^= 0x10;
        host.Feed(FromPeer(IpProtocol.Udp, closed));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(2);
    }

    [Test]
    public void A_length_field_longer_than_the_ip_payload_is_malformed()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var udp = TestFrames.Udp(PeerIp, Ip, 5000, 4000, [1, 2, 3, 4]);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)(udp.Length + 1));
        host.Feed(FromPeer(IpProtocol.Udp, udp));
        socket.TryReceiveFrom(out _).Should().BeFalse();
        host.Stack.Counters.Dropped(DropReason.UdpMalformed).Should().Be(1);
    }

    [Test]
    public void A_length_field_shorter_than_the_ip_payload_bounds_the_data()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        // Claim only 2 data bytes, with the checksum computed over what the length covers.
        var shorter = TestFrames.Udp(PeerIp, Ip, 5000, 4000, [1, 2]);
        var withTrailer = shorter.Concat(new byte[] { 0xEE, 0xEE }).ToArray();
        host.Feed(FromPeer(IpProtocol.Udp, withTrailer));
        socket.TryReceiveFrom(out var r).Should().BeTrue();
        r.Data.ToArray().Should().Equal(1, 2);
    }

    [Test]
    public void Datagrams_beyond_the_receive_queue_limit_are_dropped_and_counted()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000, receiveQueueLimit: 3);
        for (int i = 0; i < 5; i++)
            host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [(byte)i])));
        host.Stack.Counters.Dropped(DropReason.UdpReceiveQueueFull).Should().Be(2);
        var got = new List<byte>();
        while (socket.TryReceiveFrom(out var r)) got.Add(r.Data[0]);
        got.Should().Equal(0, 1, 2);
    }

    [Test]
    public void A_pending_receive_completes_with_the_next_datagram()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var receive = socket.ReceiveFromAsync();
        receive.IsCompleted.Should().BeFalse();
        host.FeedAt(Instant.FromMilliseconds(2), FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [7, 8])));
        host.RunFor(Duration.FromMilliseconds(1));
        receive.IsCompletedSuccessfully.Should().BeTrue();
        receive.Result.Data.ToArray().Should().Equal(7, 8);
    }

    [Test]
    public void A_connected_socket_ignores_datagrams_from_other_peers()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        socket.Connect(PeerIp, 5000);
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(OtherIp, Ip, 5000, 4000, [1]), source: OtherIp));
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5001, 4000, [2])));
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [3])));
        socket.TryReceiveFrom(out var r).Should().BeTrue();
        r.Data.ToArray().Should().Equal(3);
        socket.TryReceiveFrom(out _).Should().BeFalse();
    }

    [Test]
    public void A_datagram_can_be_received_into_a_caller_buffer_and_is_truncated_to_fit()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, TestFrames.Pattern(40))));
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5001, 4000, TestFrames.Pattern(10, seed: 1))));
        socket.QueuedDatagrams.Should().Be(2);

        var buffer = new byte[16];
        socket.TryReceiveFrom(buffer, out var info).Should().BeTrue();
        info.Should().Be(new Transport.UdpDatagramInfo(40, PeerIp, 5000, Ip));
        buffer.Should().Equal(TestFrames.Pattern(40)[..16], "the first 16 bytes of a 40-byte datagram");

        socket.TryReceiveFrom(buffer, out info).Should().BeTrue();
        info.Length.Should().Be(10);
        info.RemotePort.Should().Be(5001);
        buffer[..10].Should().Equal(TestFrames.Pattern(10, seed: 1));
        socket.TryReceiveFrom(buffer, out _).Should().BeFalse();
    }

    [Test]
    public void Received_results_are_copies_that_later_datagrams_do_not_overwrite()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [1, 1, 1])));
        socket.TryReceiveFrom(out var first).Should().BeTrue();
        for (int i = 0; i < 10; i++)
        {
            host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [9, 9, 9])));
            socket.TryReceiveFrom(out _).Should().BeTrue();
        }
        first.Data.ToArray().Should().Equal(1, 1, 1);
    }
}
