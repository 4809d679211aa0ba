using System.Buffers.Binary;
using System.Net;
using FluentAssertions;
using Netstack.Api;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Link;
using Netstack.Tests.Wire;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>UDP and TCP over IPv6 (RFC 8200 §8): traces against a scripted peer, and two stacks talking over a
/// virtual wire through the dual-stack API (IPEndPoint of either family).</summary>
public class Ipv6TransportTests
{
    private static byte[] Tcp(ushort sourcePort, ushort destinationPort, uint seq, uint ack, byte flags, ushort window,
        byte[]? options = null, byte[]? payload = null)
    {
        options ??= [];
        payload ??= [];
        int header = 20 + options.Length;
        var s = new byte[header + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(s, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(s.AsSpan(8), ack);
        s[12] = (byte)(header / 4 << 4);
        s[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(14), window);
        options.CopyTo(s, 20);
        payload.CopyTo(s, header);
        BinaryPrimitives.WriteUInt16BigEndian(s.AsSpan(16), ReferenceChecksum.Transport(PeerIp.Bytes(), Ip.Bytes(), 6, s));
        return s;
    }

    private static byte[] TcpOf(TransmittedFrame frame, out bool checksumValid)
    {
        var ip = frame.Bytes.AsSpan(14);
        ip[6].Should().Be(6);
        int length = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var segment = ip[40..(40 + length)].ToArray();
        checksumValid = ReferenceChecksum.Transport(Ipv6Address.Read(ip[8..]).Bytes(), Ipv6Address.Read(ip[24..]).Bytes(), 6, segment) == 0;
        return segment;
    }

    [Test]
    public void A_syn_over_ipv6_is_answered_at_once_with_a_syn_ack_offering_the_ipv6_mss()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        using var listener = host.Stack.ListenTcp(80);
        var t = Instant.FromMilliseconds(5);
        host.RunUntil(t - Duration.FromMilliseconds(1));
        host.TakeSent().Should().BeEmpty();
        host.FeedAt(t, FromPeer(6, Tcp(40000, 80, 1000, 0, 0x02, 65535, options: [2, 4, 0x05, 0xB4])));
        var sent = host.TakeSent();
        sent.Should().ContainSingle();
        sent[0].Time.Should().Be(t);
        var synAck = TcpOf(sent[0], out bool valid);
        valid.Should().BeTrue("checksummed over the IPv6 pseudo-header");
        synAck[13].Should().Be(0x12);
        BinaryPrimitives.ReadUInt32BigEndian(synAck.AsSpan(8)).Should().Be(1001);
        synAck[20..24].Should().Equal([2, 4, 0x05, 0xA0], "MSS 1440: the 1500-byte MTU less 40 bytes of IPv6 and 20 of TCP");
        var connection = host.Stack.Tcp.Connections.Single();
        connection.Key.LocalAddress.Should().Be((IpAddress)Ip);
        connection.Key.RemoteAddress.Should().Be((IpAddress)PeerIp);
        connection.Key.ToString().Should().Be("[2001:db8::10]:80->[2001:db8::20]:40000");
    }

    [Test]
    public void A_segment_with_a_bad_checksum_over_ipv6_is_dropped()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        using var listener = host.Stack.ListenTcp(80);
        var syn = Tcp(40000, 80, 1000, 0, 0x02, 65535);
        syn[16] ^= 1;
        host.Feed(FromPeer(6, syn));
        host.TakeSent().Should().BeEmpty();
        host.Stack.Counters.Dropped(Diagnostics.DropReason.TcpBadChecksum).Should().Be(1);
    }

    [Test]
    public void A_syn_to_a_closed_port_over_ipv6_is_reset()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        host.Feed(FromPeer(6, Tcp(40000, 81, 1000, 0, 0x02, 65535)));
        var rst = TcpOf(host.TakeSent().Single(), out bool valid);
        valid.Should().BeTrue();
        rst[13].Should().Be(0x14, "RST+ACK");
    }

    [Test]
    public void Packet_too_big_shrinks_a_connections_segments_and_resends_what_was_in_flight()
    {
        var host = new Ipv6Host();
        host.LearnPeer();
        using var listener = host.Stack.ListenTcp(80);
        host.Feed(FromPeer(6, Tcp(40000, 80, 1000, 0, 0x02, 65535, options: [2, 4, 0x05, 0xB4])));
        uint iss = BinaryPrimitives.ReadUInt32BigEndian(TcpOf(host.TakeSent().Single(), out _).AsSpan(4));
        host.Feed(FromPeer(6, Tcp(40000, 80, 1001, iss + 1, 0x10, 65535)));
        var accept = listener.AcceptAsync();
        accept.IsCompletedSuccessfully.Should().BeTrue();
        accept.Result.Write(TestFrames.Pattern(4000));
        var first = host.TakeSent();
        first.Select(f => TcpOf(f, out _).Length - 20).Should().Equal(1440, 1440, 1120);
        host.Feed(FromPeer(58, Ipv6Frames.Icmpv6(Ipv6Address.Parse("2001:db8::1"), Ip, 2, 0, 1280, first[0].Bytes[14..(14 + 1232)]),
            source: Ipv6Address.Parse("2001:db8::1")));
        var again = host.TakeSent();
        again.Should().NotBeEmpty("what was in flight is sent again at the new size");
        again.Should().OnlyContain(f => f.Bytes.Length - 14 <= 1280);
        TcpOf(again[0], out _).Length.Should().Be(20 + 1220, "1280 less 60 bytes of headers");
        host.Stack.Counters.TcpPathMtuReductions.Should().Be(1);
    }

    private sealed class Pair
    {
        public readonly VirtualEventLoop Loop = new();
        public readonly NetworkStack A, B;
        public static readonly Ipv6Address AIp = Ipv6Address.Parse("2001:db8:5::a"), BIp = Ipv6Address.Parse("2001:db8:5::b");

        public Pair()
        {
            var lan = new VirtualSegment(Loop, new SegmentOptions { Latency = Duration.FromMilliseconds(1) });
            var options = new StackOptions { Arp = new ArpOptions { SendGratuitousOnStart = false } };
            A = new NetworkStack(Loop, new SeededRandom(1), options, "a");
            B = new NetworkStack(Loop, new SeededRandom(2), options, "b");
            var ia = A.AddInterface(lan.Connect("a"), MacAddress.Parse("02:00:00:00:00:0a"), Ipv4Cidr.Parse("192.0.2.10/24"));
            var ib = B.AddInterface(lan.Connect("b"), MacAddress.Parse("02:00:00:00:00:0b"), Ipv4Cidr.Parse("192.0.2.11/24"));
            A.EnableIpv6(ia, new Ipv6Cidr(AIp, 64));
            B.EnableIpv6(ib, new Ipv6Cidr(BIp, 64));
            Loop.RunUntil(Instant.FromSeconds(2)); // duplicate address detection
        }

        public void RunUntil(Func<bool> done) => Loop.RunUntil(done, Loop.Now + Duration.FromSeconds(30)).Should().BeTrue();
    }

    [Test]
    public void Udp_over_ipv6_between_two_stacks_through_ipendpoints()
    {
        var pair = new Pair();
        using var server = pair.A.OpenUdp(7);
        using var client = pair.B.OpenUdp();
        client.SendTo(TestFrames.Pattern(3000), new IPEndPoint(Pair.AIp.ToSystem(), 7));
        pair.RunUntil(() => server.QueuedDatagrams > 0);
        server.TryReceiveFrom(out var datagram).Should().BeTrue();
        datagram.Data.ToArray().Should().Equal(TestFrames.Pattern(3000), "a 3000-byte datagram, fragmented and reassembled");
        datagram.RemoteEndPoint.Should().Be(new IPEndPoint(Pair.BIp.ToSystem(), client.LocalPort));
        datagram.Local.Should().Be((IpAddress)Pair.AIp);
        server.SendTo(datagram.Data, datagram.RemoteEndPoint);
        pair.RunUntil(() => client.QueuedDatagrams > 0);
        client.TryReceiveFrom(out var echoed).Should().BeTrue();
        echoed.Data.ToArray().Should().Equal(TestFrames.Pattern(3000));
        pair.A.Counters.Ipv6DatagramsReassembled.Should().Be(1);
    }

    [Test]
    public void Udp_over_ipv6_to_a_closed_port_fails_the_connected_socket_with_connection_refused()
    {
        var pair = new Pair();
        using var client = pair.B.OpenUdp();
        client.Connect(new IPEndPoint(Pair.AIp.ToSystem(), 9));
        client.Send([1, 2, 3]);
        pair.RunUntil(() => client.PendingErrors.Count > 0);
        client.TryReceiveError(out var error).Should().BeTrue();
        error!.SocketError.Should().Be(System.Net.Sockets.SocketError.ConnectionRefused);
        error.DestinationAddress.Should().Be((IpAddress)Pair.AIp);
        error.ReporterAddress.Should().Be((IpAddress)Pair.AIp);
    }

    [Test]
    public void Tcp_over_ipv6_between_two_stacks_carries_data_both_ways()
    {
        var pair = new Pair();
        using var listener = pair.A.ListenTcp(8080);
        var connect = pair.B.ConnectTcpAsync(new IPEndPoint(Pair.AIp.ToSystem(), 8080));
        pair.RunUntil(() => connect.IsCompleted);
        var client = connect.Result;
        var accept = listener.AcceptAsync();
        pair.RunUntil(() => accept.IsCompleted);
        var server = accept.Result;
        client.RemoteEndPoint.Should().Be(new IPEndPoint(Pair.AIp.ToSystem(), 8080));
        server.RemoteEndPoint.Address.Should().Be(Pair.BIp.ToSystem());
        pair.B.Tcp.Connections.Single().EffectiveMss.Should().Be(1440 - 12, "IPv6 MSS less the timestamp option");

        var clientConnection = pair.B.Tcp.Connections.Single();
        var serverConnection = pair.A.Tcp.Connections.Single();
        var data = TestFrames.Pattern(200_000, seed: 9);
        int written = 0, read = 0;
        var received = new byte[data.Length];
        pair.RunUntil(() =>
        {
            if (written < data.Length) written += clientConnection.Send(data.AsSpan(written));
            int n;
            while ((n = serverConnection.Receive(received.AsSpan(read))) > 0) read += n;
            return read == data.Length;
        });
        received.Should().Equal(data);
        serverConnection.Send(data.AsSpan(0, 1000));
        var back = new byte[1000];
        int got = 0;
        pair.RunUntil(() =>
        {
            int n;
            while ((n = clientConnection.Receive(back.AsSpan(got))) > 0) got += n;
            return got == 1000;
        });
        back.Should().Equal(data[..1000]);
    }

    [Test]
    public void Ping6_between_two_stacks_resolves_the_neighbour_and_gets_the_reply()
    {
        var pair = new Pair();
        var ping = pair.B.PingAsync(Pair.AIp, dataLength: 3000);
        pair.RunUntil(() => ping.IsCompleted);
        ping.Result.Status.Should().Be(PingStatus.Success);
        ping.Result.ToString().Should().StartWith("3008 bytes from 2001:db8:5::a: icmp_seq=1 hlim=64");
        pair.B.Interfaces[0].Ipv6!.Neighbors.TryGetEntry(Pair.AIp, out var entry).Should().BeTrue();
        entry.State.Should().Be(NeighborState.Reachable);
        pair.A.Interfaces[0].Ipv6!.Neighbors.TryGetEntry(Pair.BIp, out var back).Should().BeTrue("learned from B's solicitation");
        back.Mac.Should().Be(MacAddress.Parse("02:00:00:00:00:0b"));
    }
}
