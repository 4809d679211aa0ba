using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Tests.Wire;
using Netstack.Wire;
using NUnit.Framework;
using PacketDotNet;
using static Netstack.Tests.Protocols.TracedHost;
using Netstack.Time;

namespace Netstack.Tests.Protocols;

/// <summary>Issue 18 #4, RFC 1122 §3.2.1.3 and §3.2.2: a datagram from a source no host can have is silently
/// discarded and counted; nothing answers it (no echo reply, no port unreachable, no SYN-ACK), now or later.</summary>
public class InvalidSourceTraceTests
{
    public static readonly object[] InvalidSources =
    [
        new object[] { "192.0.2.255", "the subnet broadcast of the receiving interface" },
        new object[] { "255.255.255.255", "the limited broadcast" },
        new object[] { "224.0.0.1", "multicast" },
        new object[] { "239.255.255.250", "multicast" },
        new object[] { "127.0.0.1", "loopback" },
        new object[] { "127.1.2.3", "loopback" },
        new object[] { "0.0.0.0", "this host" },
        new object[] { "0.1.2.3", "this network" },
        new object[] { "240.0.0.1", "class E" },
        new object[] { "192.0.2.10", "our own address (land)" },
    ];

    private static byte[] Syn(Ipv4Address source, ushort port)
    {
        var ip = new IPv4Packet(source.ToSystem(), Ip.ToSystem());
        var tcp = new TcpPacket(40000, port) { Synchronize = true, SequenceNumber = 1000, WindowSize = 8192 };
        ip.PayloadPacket = tcp;
        ip.UpdateCalculatedValues();
        tcp.UpdateCalculatedValues();
        tcp.UpdateTcpChecksum();
        return FromPeer(IpProtocol.Tcp, tcp.Bytes, source: source);
    }

    private static TracedHost Host(out Netstack.Api.UdpSocket socket)
    {
        var host = new TracedHost();
        host.LearnPeer();
        socket = host.Stack.OpenUdp(7);
        host.Stack.ListenTcp(80);
        return host;
    }

    [TestCaseSource(nameof(InvalidSources))]
    public void An_echo_request_from_an_invalid_source_is_dropped_and_never_answered(string source, string what)
    {
        var host = Host(out _);
        var from = Ipv4Address.Parse(source);

        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1, 2, 3, 4]), source: from));

        host.TakeSent().Should().BeEmpty(what);
        host.Stack.Counters.Dropped(DropReason.Ipv4InvalidSource).Should().Be(1, what);
        host.Stack.Counters.IcmpEchoRepliesSent.Should().Be(0);
        host.RunFor(Duration.FromSeconds(5));
        host.TakeSent().Should().BeEmpty(what);
    }

    [TestCaseSource(nameof(InvalidSources))]
    public void Udp_from_an_invalid_source_reaches_no_socket_and_draws_no_port_unreachable(string source, string what)
    {
        var host = Host(out var socket);
        var from = Ipv4Address.Parse(source);

        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(from, Ip, 5000, 7, [1, 2, 3]), source: from));
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(from, Ip, 5000, 9, [1, 2, 3]), source: from)); // closed port

        socket.TryReceiveFrom(out _).Should().BeFalse(what);
        host.TakeSent().Should().BeEmpty(what);
        host.Stack.Counters.Dropped(DropReason.Ipv4InvalidSource).Should().Be(2, what);
        host.Stack.Counters.Dropped(DropReason.UdpNoListener).Should().Be(0);
    }

    [TestCaseSource(nameof(InvalidSources))]
    public void A_syn_from_an_invalid_source_gets_no_syn_ack_now_or_on_retransmission(string source, string what)
    {
        var host = Host(out _);
        var from = Ipv4Address.Parse(source);

        host.Feed(Syn(from, 80));
        host.Feed(Syn(from, 81)); // closed port: no RST either

        host.TakeSent().Should().BeEmpty(what);
        host.RunFor(Duration.FromSeconds(30));
        host.TakeSent().Should().BeEmpty(what + ": no SYN-ACK retransmissions");
        host.Stack.Counters.Dropped(DropReason.Ipv4InvalidSource).Should().Be(2, what);
        host.Stack.Counters.TcpSegmentsSent.Should().Be(0);
    }

    [Test]
    public void The_same_requests_from_a_valid_source_are_answered()
    {
        var host = Host(out var socket);

        host.Feed(FromPeer(IpProtocol.Icmp, TestFrames.Echo(IcmpType.EchoRequest, 1, 1, [1, 2, 3, 4])));
        host.Feed(FromPeer(IpProtocol.Udp, TestFrames.Udp(PeerIp, Ip, 5000, 7, [1, 2, 3])));
        host.Feed(Syn(PeerIp, 80));

        host.TakeSent().Should().HaveCount(2, "an echo reply and a SYN-ACK");
        socket.TryReceiveFrom(out _).Should().BeTrue();
        host.Stack.Counters.Dropped(DropReason.Ipv4InvalidSource).Should().Be(0);
    }
}
