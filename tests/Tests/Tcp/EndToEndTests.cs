using System.Net.Sockets;
using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Api;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Transport.Tcp;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>Two stacks talking TCP over the virtual wire through the Stream API.</summary>
public class EndToEndTests
{
    private static byte[] Data(int n, ulong seed)
    {
        var r = new SeededRandom(seed);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)r.NextUInt64();
        return b;
    }

    private static async Task<byte[]> ReadToEnd(Stream s)
    {
        var ms = new MemoryStream();
        var buffer = new byte[8192];
        int n;
        while ((n = await s.ReadAsync(buffer)) > 0) ms.Write(buffer, 0, n);
        return ms.ToArray();
    }

    private static (Task<byte[]> Received, Task Sent) Transfer(TcpWorld w, byte[] payload, ushort port = 9000)
    {
        var listener = w.A.ListenTcp(port);
        var received = w.Spawn(async () =>
        {
            await using var s = await listener.AcceptAsync();
            return await ReadToEnd(s);
        });
        var sent = w.Spawn(async () =>
        {
            await using var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, port);
            await s.WriteAsync(payload);
            s.ShutdownSend();
            (await ReadToEnd(s)).Should().BeEmpty();
        });
        return (received, sent);
    }

    [Test]
    public void Small_transfer_and_orderly_close()
    {
        var w = new TcpWorld();
        var payload = Data(10_000, 1);
        var (received, sent) = Transfer(w, payload);
        w.RunUntil(() => received.IsCompleted && sent.IsCompleted, 60).Should().BeTrue();
        sent.Exception.Should().BeNull();
        received.Result.Should().Equal(payload);
        w.RunFor(120); // past TIME-WAIT
        w.A.Tcp.Connections.Should().BeEmpty();
        w.B.Tcp.Connections.Should().BeEmpty();
        w.A.Buffers.Outstanding.Should().Be(0);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void One_megabyte_over_5_percent_loss_and_reordering_arrives_byte_exact(bool sack)
    {
        var tcp = new TcpSettings { Sack = sack, MinRto = Duration.FromMilliseconds(200) };
        var w = new TcpWorld(seed: 42, segment: new SegmentOptions
        {
            Latency = Duration.FromMilliseconds(5), BandwidthBitsPerSecond = 100_000_000,
        }, a: tcp, b: tcp);
        var faults = new LossyReorderingWire(w.Sim.ForkRandom(), 0.05, 0.05, Duration.FromMilliseconds(3));
        w.Lan.Faults = faults;
        var payload = Data(1 << 20, 7);
        var (received, sent) = Transfer(w, payload);
        w.RunUntil(() => received.IsCompleted && sent.IsCompleted, 3600).Should().BeTrue();
        sent.Exception.Should().BeNull();
        SHA256.HashData(received.Result).Should().Equal(SHA256.HashData(payload));
        faults.Dropped.Should().BeGreaterThan(50);
        faults.Reordered.Should().BeGreaterThan(50);
        w.B.Counters.TcpRetransmissions.Should().BeGreaterThan(0);
        TestContext.Out.WriteLine($"sack={sack} virtual time {w.Now}, dropped {faults.Dropped}, reordered {faults.Reordered}, " +
            $"retransmissions {w.B.Counters.TcpRetransmissions}");
    }

    [Test]
    public void Connect_to_a_closed_port_is_refused()
    {
        var w = new TcpWorld();
        var connect = w.Spawn(() => w.B.ConnectTcpAsync(TcpWorld.AIp, 81));
        w.RunUntil(() => connect.IsCompleted, 10);
        var e = connect.Exception!.InnerException.Should().BeOfType<SocketException>().Subject;
        e.SocketErrorCode.Should().Be(SocketError.ConnectionRefused);
        e.Message.Should().Be("Connection refused by 192.0.2.1:81");
    }

    [Test]
    public void Connect_to_an_absent_host_times_out()
    {
        var w = new TcpWorld(b: new TcpSettings { SynRetries = 2 });
        var connect = w.Spawn(() => w.B.ConnectTcpAsync(Netstack.Wire.Ipv4Address.Parse("192.0.2.99"), 80));
        w.RunUntil(() => connect.IsCompleted, 60);
        connect.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.HostUnreachable,
                "ARP failure is a soft error (RFC 1122 §4.2.3.9) reported when the SYN retries run out");
    }

    [Test]
    public void Simultaneous_open_between_two_stacks()
    {
        var w = new TcpWorld();
        var a = w.Spawn(() => w.A.ConnectTcpAsync(TcpWorld.BIp, 6000, localPort: 5000));
        var b = w.Spawn(() => w.B.ConnectTcpAsync(TcpWorld.AIp, 5000, localPort: 6000));
        w.RunUntil(() => a.IsCompleted && b.IsCompleted, 30).Should().BeTrue();
        a.Result.Connection.State.Should().Be(TcpState.Established);
        b.Result.Connection.State.Should().Be(TcpState.Established);
        var got = w.Spawn(async () =>
        {
            await a.Result.WriteAsync(new byte[] { 1, 2, 3 });
            var buf = new byte[3];
            int n = await b.Result.ReadAsync(buf);
            return buf[..n];
        });
        w.RunUntil(() => got.IsCompleted, 10);
        got.Result.Should().Equal(1, 2, 3);
        // Simultaneous close: both FINs cross, both sides pass through CLOSING to TIME-WAIT.
        a.Result.ShutdownSend();
        b.Result.ShutdownSend();
        w.RunFor(1);
        a.Result.Connection.State.Should().Be(TcpState.TimeWait);
        b.Result.Connection.State.Should().Be(TcpState.TimeWait);
    }

    [Test]
    public void Zero_window_when_the_receiver_stops_reading_then_resumes()
    {
        var small = new TcpSettings { ReceiveBufferSize = 16 * 1024 };
        var w = new TcpWorld(a: small);
        var listener = w.A.ListenTcp(9000);
        var accepted = w.Spawn(() => listener.AcceptAsync());
        var payload = Data(600_000, 3); // more than the 256 KiB send buffer holds
        var sent = w.Spawn(async () =>
        {
            await using var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9000);
            await s.WriteAsync(payload);
            s.ShutdownSend();
        });
        w.RunFor(30);
        sent.IsCompleted.Should().BeFalse("the receiver's window is closed");
        accepted.Result.Connection.BytesToRead.Should().Be(16 * 1024);
        w.B.Counters.TcpWindowProbesSent.Should().BeGreaterThanOrEqualTo(3);
        var received = w.Spawn(() => ReadToEnd(accepted.Result));
        w.RunUntil(() => received.IsCompleted && sent.IsCompleted, 600).Should().BeTrue();
        received.Result.Should().Equal(payload);
    }

    [Test]
    public void Time_wait_blocks_the_tuple_then_it_can_be_reused()
    {
        var opts = new TcpSettings { TimeWaitDuration = Duration.FromSeconds(30) };
        var w = new TcpWorld(a: opts, b: opts);
        var listener = w.A.ListenTcp(9000);
        async Task Once()
        {
            var acceptTask = listener.AcceptAsync();
            await using var c = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9000, localPort: 7000);
            await using var s = await acceptTask;
            c.ShutdownSend(); // the client closes first: the client ends in TIME-WAIT
            await ReadToEnd(s);
            s.ShutdownSend();
            await ReadToEnd(c);
        }
        var first = w.Spawn(Once);
        w.RunUntil(() => first.IsCompleted, 10).Should().BeTrue();
        first.Exception.Should().BeNull();
        w.B.Tcp.Connections.Single().State.Should().Be(TcpState.TimeWait);
        var tooSoon = w.Spawn(() => w.B.ConnectTcpAsync(TcpWorld.AIp, 9000, localPort: 7000));
        tooSoon.Exception!.InnerException.Should().BeOfType<SocketException>()
            .Which.SocketErrorCode.Should().Be(SocketError.AddressAlreadyInUse);
        w.RunFor(31);
        w.B.Tcp.Connections.Should().BeEmpty();
        var second = w.Spawn(Once);
        w.RunUntil(() => second.IsCompleted, 10).Should().BeTrue();
        second.Exception.Should().BeNull();
    }

    [Test]
    public void Server_in_time_wait_accepts_a_new_incarnation_of_the_same_tuple()
    {
        var w = new TcpWorld();
        var listener = w.A.ListenTcp(9000);
        async Task<bool> Once(bool serverClosesFirst)
        {
            var acceptTask = listener.AcceptAsync();
            await using var c = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9000, localPort: 7001);
            await using var s = await acceptTask;
            s.ShutdownSend();
            await ReadToEnd(c);
            c.ShutdownSend();
            await ReadToEnd(s);
            return true;
        }
        var first = w.Spawn(() => Once(true));
        w.RunUntil(() => first.IsCompleted, 10).Should().BeTrue();
        w.RunFor(1);
        w.A.Tcp.Connections.Single().State.Should().Be(TcpState.TimeWait);
        w.B.Tcp.Connections.Should().BeEmpty("the client closed second, so it does not linger");
        var second = w.Spawn(() => Once(true));
        w.RunUntil(() => second.IsCompleted, 10).Should().BeTrue();
        second.Exception.Should().BeNull();
    }
}
