using FluentAssertions;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Drivers.Segments;
using Netstack.Tests.Tcp;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Harness.Worlds;
using Netstack.Drivers;
using Netstack.Time;

namespace Netstack.Tests.Hardening;

/// <summary>TCP floods from a spoofing attacker: SYN floods (SYN cookies keep legitimate clients served),
/// half-open connections, out-of-order segments. Each must stay bounded, be counted, and leave the stack working.</summary>
public class TcpFloodTests
{
    private static readonly MacAddress VictimMac = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly Ipv4Address VictimIp = Ipv4Address.Parse("10.0.0.1");
    private const ushort Port = 80;
    private const int Backlog = 64;

    private sealed record Setup(World Sim, NetworkStack Client, NetworkStack Victim, VirtualPort Attacker, TcpListenSocket Listener);

    private static Setup Build(TcpSettings victimTcp)
    {
        // Spoofed sources are off-link by default, as in a flood from the Internet: SYN-ACKs go to the gateway.
        var world = new WorldBuilder(11)
            .Segment("lan")
            .Host("client", "lan", "02:00:00:00:00:0a", "10.0.0.2/8")
            .Host("victim", "lan", VictimMac, new Ipv4Cidr(VictimIp, 8), new StackOptions { Tcp = victimTcp })
            .Host("gateway", "lan", "02:00:00:00:00:fe", "10.0.0.254/8");
        var victim = world["victim"];
        victim.AddRoute(Ipv4Cidr.Parse("0.0.0.0/0"), Ipv4Address.Parse("10.0.0.254"));
        var attacker = world.World.Segments["lan"].Connect("attacker");
        return new Setup(world.Start(), world["client"], victim, attacker, victim.ListenTcp(Port, Backlog));
    }

    /// <summary>A SYN from a spoofed off-link address (198.18.0.0/15 + i), or on-link (10.1.0.0 + i), and MAC.</summary>
    private static byte[] SpoofedSyn(int i) => SpoofedSyn(i, new Ipv4Address(0xC612_0000u + (uint)i));

    private static byte[] SpoofedSyn(int i, Ipv4Address source)
    {
        var mac = new MacAddress(0x0200_0100_0000UL | (uint)i);
        var opts = TcpHeaderOptions.None;
        opts.Mss = 1460;
        int header = TcpSegment.MinHeaderLength + opts.Length;
        var frame = new byte[EthernetFrame.HeaderLength + Ipv4Packet.MinHeaderLength + header];
        EthernetFrame.WriteHeader(frame, VictimMac, mac, EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        var tcp = ip[Ipv4Packet.MinHeaderLength..];
        opts.Write(tcp[TcpSegment.MinHeaderLength..]);
        TcpSegment.WriteHeader(tcp, new TcpHeader((ushort)(1024 + i % 60000), Port, (uint)i * 2654435761u, 0, TcpFlags.Syn,
            65535, header), source, VictimIp);
        Ipv4Packet.WriteHeader(ip, new Ipv4Header(source, VictimIp, IpProtocol.Tcp, ip.Length, (ushort)i));
        return frame;
    }

    /// <summary>Floods <paramref name="count"/> spoofed SYNs, one every 10 µs, starting a legitimate connect
    /// half-way through; returns the connect task and the most connections the victim ever held.</summary>
    private static (Task<TcpStream> Connect, int MaxConnections) Flood(Setup w, int count, Func<int, byte[]>? syn = null)
    {
        syn ??= SpoofedSyn;
        Task<TcpStream>? connect = null;
        int maxConnections = 0;
        for (int i = 0; i < count; i++)
        {
            w.Attacker.Transmit(syn(i));
            w.Sim.Loop.RunUntil(w.Sim.Now + Duration.FromMicroseconds(10));
            if (i == count / 2) connect = w.Client.ConnectTcpAsync(VictimIp, Port);
            if ((i & 1023) == 0) maxConnections = Math.Max(maxConnections, w.Victim.Tcp.Connections.Count);
        }
        return (connect!, maxConnections);
    }

    [Test]
    public void Syn_flood_of_100000_spoofed_syns_stays_bounded_and_a_legitimate_client_connects_during_it()
    {
        var w = Build(new TcpSettings());
        var accept = w.Listener.AcceptAsync();
        GC.Collect();
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        var (connect, maxConnections) = Flood(w, 100_000);

        connect.IsCompletedSuccessfully.Should().BeTrue("the client connects while the flood goes on (by {0})", w.Sim.Now);
        accept.IsCompletedSuccessfully.Should().BeTrue();
        long memoryAfter = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Out.WriteLine($"memory before {memoryBefore / 1024} KiB, after {memoryAfter / 1024} KiB; "
            + $"cookies sent {w.Victim.Counters.TcpSynCookiesSent}, most connections {maxConnections}");
        maxConnections.Should().BeLessThanOrEqualTo(Backlog + 1, "half-open connections never exceed the backlog");
        w.Listener.HalfOpen.Should().BeLessThanOrEqualTo(Backlog);
        w.Victim.Counters.TcpSynCookiesSent.Should().BeGreaterThanOrEqualTo(100_000 - Backlog);
        w.Victim.Counters.TcpSynCookiesAccepted.Should().Be(1, "the client's handshake completed on a cookie");
        (memoryAfter - memoryBefore).Should().BeLessThan(64L << 20, "state per spoofed SYN would be ~100 MB");
        w.Victim.Interfaces[0].Arp.Entries.Count.Should().BeLessThanOrEqualTo(w.Victim.Options.Arp.MaxEntries);

        // The connection carries data both ways, without the options a cookie cannot remember.
        var server = accept.Result;
        var client = connect.Result;
        server.Connection.WindowScalingEnabled.Should().BeFalse();
        client.Write(new byte[] { 1, 2, 3, 4, 5 });
        server.Write(new byte[] { 9, 8 });
        w.Sim.Loop.RunUntil(() => server.Connection.BytesToRead == 5 && client.Connection.BytesToRead == 2,
            w.Sim.Now + Duration.FromSeconds(5)).Should().BeTrue();
        var got = new byte[5];
        server.Read(got).Should().Be(5);
        got.Should().Equal(1, 2, 3, 4, 5);

        // Once the SYN-ACK retries run out, the half-open connections are gone.
        w.Sim.Loop.RunUntil(w.Sim.Now + Duration.FromSeconds(130));
        w.Listener.HalfOpen.Should().Be(0);
        w.Victim.Tcp.Connections.Should().ContainSingle().Which.Should().BeSameAs(server.Connection);
    }

    [Test]
    public void Syn_flood_from_spoofed_on_link_addresses_does_not_lock_the_client_out_through_arp()
    {
        // Every SYN-ACK to a spoofed neighbour starts an ARP resolution that never completes: the cache fills
        // with incomplete entries, which must give way rather than the client's confirmed one.
        var w = Build(new TcpSettings());
        var accept = w.Listener.AcceptAsync();
        var (connect, _) = Flood(w, 20_000, i => SpoofedSyn(i, new Ipv4Address(0x0A01_0000u + (uint)i)));

        connect.IsCompletedSuccessfully.Should().BeTrue("the client connects while the flood goes on (by {0})", w.Sim.Now);
        accept.IsCompletedSuccessfully.Should().BeTrue();
        var arp = w.Victim.Interfaces[0].Arp;
        arp.Entries.Count.Should().BeLessThanOrEqualTo(w.Victim.Options.Arp.MaxEntries);
        arp.TryLookup(Ipv4Address.Parse("10.0.0.2"), out _).Should().BeTrue("the client's entry survived the flood");
        w.Victim.Counters.Dropped(DropReason.ArpQueueFull).Should().BeGreaterThan(10_000, "SYN-ACKs to spoofed neighbours");
        w.Victim.Buffers.Outstanding.Should().BeLessThanOrEqualTo(
            w.Victim.Options.Arp.MaxEntries * w.Victim.Options.Arp.PendingQueueLimit);
    }

    [Test]
    public void Without_syn_cookies_the_backlog_alone_locks_a_legitimate_client_out()
    {
        var w = Build(new TcpSettings { SynCookies = false });
        var (connect, maxConnections) = Flood(w, 2_000);
        w.Sim.Loop.RunUntil(w.Sim.Now + Duration.FromSeconds(30));

        connect.IsCompleted.Should().BeFalse("every SYN of the client met a full backlog for 30 s");
        maxConnections.Should().BeLessThanOrEqualTo(Backlog);
        w.Victim.Counters.Dropped(DropReason.TcpBacklogFull).Should().BeGreaterThanOrEqualTo(2_000 - Backlog);
        w.Victim.Counters.TcpSynCookiesSent.Should().Be(0);
    }

    [Test]
    public void Many_half_open_connections_are_bounded_counted_and_expire()
    {
        var w = Build(new TcpSettings { SynCookies = false });
        for (int i = 0; i < 1_000; i++)
        {
            w.Attacker.Transmit(SpoofedSyn(i));
            w.Sim.Loop.RunUntil(w.Sim.Now + Duration.FromMilliseconds(1));
        }
        w.Listener.HalfOpen.Should().Be(Backlog);
        w.Victim.Tcp.Connections.Count.Should().Be(Backlog);
        w.Victim.Counters.Dropped(DropReason.TcpBacklogFull).Should().Be(1_000 - Backlog);
        w.Victim.Tcp.Connections.Sum(c => c.BufferMemoryHeld).Should().Be(0, "a half-open connection has no data to hold");

        // Five SYN-ACK retransmissions each (1+2+4+8+16 s), then the final 32 s timeout closes them.
        w.Sim.Loop.RunUntil(w.Sim.Now + Duration.FromSeconds(70));
        w.Listener.HalfOpen.Should().Be(0);
        w.Victim.Tcp.Connections.Should().BeEmpty();
        w.Victim.Counters.TcpRetransmissions.Should().Be(Backlog * w.Victim.Options.Tcp.SynAckRetries);

        // And the port serves again.
        var accept = w.Listener.AcceptAsync();
        var connect = w.Client.ConnectTcpAsync(VictimIp, Port);
        w.Sim.Loop.RunUntil(() => connect.IsCompleted && accept.IsCompleted, w.Sim.Now + Duration.FromSeconds(5));
        connect.IsCompletedSuccessfully.Should().BeTrue();
        accept.Result.Connection.WindowScalingEnabled.Should().BeTrue("a normal handshake, not a cookie");
        accept.Result.Connection.BufferMemoryHeld.Should().Be(0);
        connect.Result.Write(new byte[] { 1, 2, 3 });
        w.Sim.Loop.RunUntil(() => accept.Result.Connection.BytesToRead == 3, w.Sim.Now + Duration.FromSeconds(5)).Should().BeTrue();
        accept.Result.Connection.BufferMemoryHeld.Should().BeGreaterThanOrEqualTo(w.Victim.Options.Tcp.ReceiveBufferSize,
            "the first byte rents the receive ring");
        connect.Result.Connection.BufferMemoryHeld.Should().BeGreaterThanOrEqualTo(w.Victim.Options.Tcp.SendBufferSize,
            "the first write rents the send ring");
    }

    [Test]
    public void Out_of_order_segment_flood_is_bounded_counted_and_the_stream_survives()
    {
        var trace = new OutOfOrderFlood();
        trace.Run();
    }

    /// <summary>A scripted peer floods an established connection with one-byte segments scattered over the
    /// window (never at RCV.NXT), then sends the stream in order.</summary>
    private sealed class OutOfOrderFlood : TraceTestBase
    {
        public void Run()
        {
            EstablishPassive(Plain(new TcpSettings { DelayedAck = false }));
            int maxRanges = Peer.Host.Options.Tcp.MaxOutOfOrderRanges;
            const int StreamLength = 60_000;
            var stream = Bytes(StreamLength, seed: 3);
            uint p0 = unchecked(PeerIsn + 1), h0 = unchecked(HostIsn + 1);
            var random = new Random(17);
            int most = 0;
            for (int i = 0; i < 100_000; i++)
            {
                int offset = 2 + random.Next(StreamLength - 2);
                Peer.Send(TcpFlags.Ack, unchecked(p0 + (uint)offset), h0, payload: [stream[offset]]);
                most = Math.Max(most, Conn.OutOfOrderRanges);
                if ((i & 4095) == 0) Peer.TakeAll(); // every out-of-order segment draws a duplicate ACK
            }
            Peer.TakeAll();
            most.Should().BeLessThanOrEqualTo(maxRanges);
            Peer.Host.Counters.Dropped(DropReason.TcpOutOfOrderQueueFull).Should().BeGreaterThan(50_000);
            Conn.State.Should().Be(TcpState.Established);

            // The real stream, in order, in MSS-sized pieces, reading as the window allows.
            var received = new List<byte>();
            var buffer = new byte[65536];
            for (int at = 0; at < StreamLength;)
            {
                int n = Math.Min(1460, StreamLength - at);
                Peer.Send(TcpFlags.Ack | TcpFlags.Psh, unchecked(p0 + (uint)at), h0, payload: stream[at..(at + n)]);
                at += n;
                int r = Stream.Read(buffer);
                received.AddRange(buffer.AsSpan(0, r).ToArray());
            }
            while (Conn.BytesToRead > 0) received.AddRange(buffer.AsSpan(0, Stream.Read(buffer)).ToArray());
            received.Should().HaveCount(StreamLength);
            received.ToArray().AsSpan().SequenceEqual(stream).Should().BeTrue("the stream arrives byte-exact");
            Conn.OutOfOrderRanges.Should().Be(0);
            Peer.Host.Buffers.Outstanding.Should().Be(0);
        }
    }
}
