using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Receive checksum offload: a device that vouches for a frame's TCP/UDP/ICMP checksum (a TAP with
/// virtio-net headers) spares the stack summing the payload again. Without the device's word, or for a
/// datagram reassembled from fragments, the checksum is verified as always.</summary>
public class ChecksumOffloadTests
{
    private static byte[] UdpWithWrongChecksum(int payload = 24)
    {
        var udp = TestFrames.Udp(PeerIp, Ip, 5000, 4000, TestFrames.Pattern(payload));
        udp[6] ^= 0x5A; // checksum field, still non-zero
        return udp;
    }

    private static byte[] SynWithWrongChecksum()
    {
        var syn = new byte[TcpSegment.MinHeaderLength];
        TcpSegment.WriteHeader(syn, new TcpHeader(40000, 80, 1000, 0, TcpFlags.Syn, 8192), PeerIp, Ip);
        syn[16] ^= 0x5A;
        return FromPeer(IpProtocol.Tcp, syn);
    }

    [Test]
    public void A_udp_datagram_with_a_wrong_checksum_is_delivered_only_when_the_device_vouches_for_it()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var frame = FromPeer(IpProtocol.Udp, UdpWithWrongChecksum());
        host.Interface.ReceiveFrame(frame, transportChecksumVerified: false);
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(1);
        socket.QueuedDatagrams.Should().Be(0);
        host.Interface.ReceiveFrame(frame, transportChecksumVerified: true);
        socket.QueuedDatagrams.Should().Be(1);
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(1);
    }

    [Test]
    public void A_tcp_syn_with_a_wrong_checksum_is_answered_only_when_the_device_vouches_for_it()
    {
        var host = new TracedHost();
        host.LearnPeer();
        using var listener = host.Stack.ListenTcp(80);
        host.Interface.ReceiveFrame(SynWithWrongChecksum(), transportChecksumVerified: false);
        host.Loop.RunUntil(host.Now);
        host.Stack.Counters.Dropped(DropReason.TcpBadChecksum).Should().Be(1);
        host.TakeSent().Should().BeEmpty();
        host.Interface.ReceiveFrame(SynWithWrongChecksum(), transportChecksumVerified: true);
        host.Loop.RunUntil(host.Now);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        new TcpSegment(new Ipv4Packet(sent[0].Bytes.AsSpan(14)).Payload).Flags.Should().Be(TcpFlags.Syn | TcpFlags.Ack);
    }

    [Test]
    public void An_echo_request_with_a_wrong_checksum_is_answered_only_when_the_device_vouches_for_it()
    {
        // Like Linux's icmp_rcv, which trusts CHECKSUM_UNNECESSARY from its loopback and veth devices.
        var host = new TracedHost();
        host.LearnPeer();
        var echo = new byte[IcmpPacket.HeaderLength + 16];
        IcmpPacket.WriteHeaderAndChecksum(echo, IcmpType.EchoRequest, 0, 7, 1);
        echo[2] ^= 0x5A; // checksum field
        host.Interface.ReceiveFrame(FromPeer(IpProtocol.Icmp, echo), transportChecksumVerified: false);
        host.Stack.Counters.Dropped(DropReason.IcmpBadChecksum).Should().Be(1);
        host.TakeSent().Should().BeEmpty();
        host.Interface.ReceiveFrame(FromPeer(IpProtocol.Icmp, echo), transportChecksumVerified: true);
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        new IcmpPacket(new Ipv4Packet(sent[0].Bytes.AsSpan(14)).Payload).Type.Should().Be(IcmpType.EchoReply);
        host.Stack.Counters.Dropped(DropReason.IcmpBadChecksum).Should().Be(1);
    }

    [Test]
    public void A_reassembled_datagram_is_verified_even_if_every_fragment_was_vouched_for()
    {
        // The device's word covers the frame it delivered, not a datagram rebuilt from several.
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var udp = UdpWithWrongChecksum(payload: 1592); // 1600 bytes of UDP: two fragments
        host.Interface.ReceiveFrame(FromPeer(IpProtocol.Udp, udp[..1480], id: 9, moreFragments: true), true);
        host.Interface.ReceiveFrame(FromPeer(IpProtocol.Udp, udp[1480..], id: 9, fragmentOffset: 1480), true);
        host.Stack.Counters.Dropped(DropReason.UdpBadChecksum).Should().Be(1);
        socket.QueuedDatagrams.Should().Be(0);
        BinaryPrimitives.ReadUInt16BigEndian(udp.AsSpan(4)).Should().Be(1600);
    }
}
