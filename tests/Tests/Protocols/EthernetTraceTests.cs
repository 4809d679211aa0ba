using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Wire;
using NUnit.Framework;
using Pdn = PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;

namespace Netstack.Tests.Protocols;

/// <summary>Ethernet II framing: padding on send, address filtering on receive.</summary>
public class EthernetTraceTests
{
    [Test]
    public void Short_frames_are_padded_with_zeros_to_60_bytes_and_the_ip_length_excludes_the_padding()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Stack.OpenUdp(4000).SendTo([0xAB], PeerIp, 5000);
        var frame = host.TakeSent().Should().ContainSingle().Subject;
        frame.Bytes.Length.Should().Be(60);
        frame.Bytes[(14 + 29)..].Should().OnlyContain(b => b == 0);
        var ip = frame.Extract<Pdn.IPv4Packet>();
        ip.TotalLength.Should().Be(29);
        frame.Extract<Pdn.UdpPacket>().ValidUdpChecksum.Should().BeTrue();
    }

    [Test]
    public void Frames_already_60_bytes_or_longer_are_not_padded()
    {
        var host = new TracedHost();
        host.LearnPeer();
        var socket = host.Stack.OpenUdp(4000);
        socket.SendTo(new byte[18], PeerIp, 5000);
        socket.SendTo(new byte[19], PeerIp, 5000);
        host.TakeSent().Select(f => f.Bytes.Length).Should().Equal(60, 61);
    }

    [Test]
    public void Padded_frames_received_are_read_to_the_ip_total_length()
    {
        var host = new TracedHost();
        var socket = host.Stack.OpenUdp(4000);
        var frame = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 4000, [5]));
        frame.Length.Should().BeLessThan(60);
        var padded = frame.Concat(Enumerable.Repeat((byte)0x55, 60 - frame.Length)).ToArray();
        host.Feed(padded);
        socket.TryReceiveFrom(out var r).Should().BeTrue();
        r.Data.ToArray().Should().Equal(5);
    }

    [Test]
    public void Frames_for_another_mac_are_dropped_and_counted_without_a_reaction()
    {
        var host = new TracedHost();
        host.LearnPeer();
        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1]), destinationMac: OtherMac));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(DropReason.EthernetNotForUs).Should().Be(1);
        host.Stack.Counters.Ipv4Delivered.Should().Be(0);
    }

    [Test]
    public void Broadcast_frames_are_accepted()
    {
        var host = new TracedHost();
        host.Feed(TestFrames.Arp(ArpOperation.Request, PeerMac, PeerIp, MacAddress.Zero, Ip, MacAddress.Broadcast));
        host.TakeSent().Should().ContainSingle().Which.Extract<Pdn.ArpPacket>().Operation.Should().Be(Pdn.ArpOperation.Response);
        host.Stack.Counters.TotalDropped.Should().Be(0);
    }

    [Test]
    public void Unknown_ethertypes_are_dropped_and_counted()
    {
        var host = new TracedHost();
        var frame = FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 1, 2, [1]));
        frame[12] = 0x86;
        frame[13] = 0xDD;
        host.Feed(frame);
        host.Stack.Counters.Dropped(DropReason.EthernetUnknownType).Should().Be(1);
        host.Stack.Counters.FramesReceived.Should().Be(1);
    }

    [Test]
    public void Sent_frames_carry_our_mac_as_source_and_are_counted()
    {
        var host = new TracedHost();
        host.LearnPeer();
        long before = host.Stack.Counters.FramesSent;
        host.Stack.OpenUdp(4000).SendTo(new byte[100], PeerIp, 5000);
        var frame = host.TakeSent().Single();
        frame.Parse().SourceHardwareAddress.ToMac().Should().Be(Mac);
        frame.Parse().Type.Should().Be(Pdn.EthernetType.IPv4);
        host.Stack.Counters.FramesSent.Should().Be(before + 1);
    }
}
