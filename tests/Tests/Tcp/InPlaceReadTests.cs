using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Api;
using Netstack.Time;
using Netstack.Transport.Tcp;
using NUnit.Framework;

namespace Netstack.Tests.Tcp;

/// <summary>TcpStream.WaitToReadAsync with ReadInPlace: received bytes handed to the application where they lie in
/// the receive buffer, never copied out.</summary>
public class InPlaceReadTests
{
    private sealed class Collected
    {
        public readonly MemoryStream Bytes = new();
        public int Pieces;
    }

    private static byte[] Data(int n, ulong seed)
    {
        var r = new SeededRandom(seed);
        var b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte)r.NextUInt64();
        return b;
    }

    private static Task Send(TcpWorld w, byte[] payload, ushort port) => w.Spawn(async () =>
    {
        await using var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, port);
        await s.WriteAsync(payload);
        s.ShutdownSend();
        var rest = new byte[1];
        (await s.ReadAsync(rest)).Should().Be(0);
    });

    [Test]
    public void A_megabyte_over_loss_arrives_byte_exact_in_place_and_the_wait_ends_at_the_fin()
    {
        var tcp = new TcpSettings { MinRto = Duration.FromMilliseconds(200) };
        var w = new TcpWorld(seed: 5, a: tcp, b: tcp);
        w.Lan.Faults = new LossyReorderingWire(w.Sim.ForkRandom(), 0.03, 0.03, Duration.FromMilliseconds(2));
        var payload = Data(1 << 20, 11);
        var listener = w.A.ListenTcp(9000);
        var collected = new Collected();
        int reads = 0;
        var received = w.Spawn(async () =>
        {
            await using var s = await listener.AcceptAsync();
            while (await s.WaitToReadAsync())
            {
                int n = s.ReadInPlace(static (bytes, c) =>
                {
                    c.Bytes.Write(bytes);
                    c.Pieces++;
                }, collected, maxBytes: 20_000);
                n.Should().BeInRange(1, 20_000);
                reads++;
            }
            s.ReadInPlace(static (_, _) => throw new AssertionException("no bytes after the FIN"), 0).Should().Be(0);
        });
        var sent = Send(w, payload, 9000);
        w.RunUntil(() => received.IsCompleted && sent.IsCompleted, 3600).Should().BeTrue();
        received.Exception.Should().BeNull();
        sent.Exception.Should().BeNull();
        SHA256.HashData(collected.Bytes.ToArray()).Should().Equal(SHA256.HashData(payload));
        collected.Pieces.Should().BeGreaterThanOrEqualTo(reads);
        reads.Should().BeGreaterThan((1 << 20) / 20_000, "no read takes more than maxBytes");
    }

    [Test]
    public void A_handler_that_throws_fails_that_read_only_and_its_bytes_are_taken()
    {
        var w = new TcpWorld();
        var payload = Data(3000, 3);
        var listener = w.A.ListenTcp(9001);
        var rest = new MemoryStream();
        var received = w.Spawn(async () =>
        {
            await using var s = await listener.AcceptAsync();
            (await s.WaitToReadAsync()).Should().BeTrue();
            var act = () => s.ReadInPlace(static (_, _) => throw new InvalidDataException("bad record"), 0, maxBytes: 1000);
            act.Should().Throw<InvalidDataException>();
            while (await s.WaitToReadAsync()) s.ReadInPlace(static (bytes, m) => m.Write(bytes), rest);
        });
        var sent = Send(w, payload, 9001);
        w.RunUntil(() => received.IsCompleted && sent.IsCompleted, 60).Should().BeTrue();
        received.Exception.Should().BeNull();
        rest.ToArray().Should().Equal(payload[1000..]);
    }

    [Test]
    public void A_wait_on_a_reset_connection_faults_with_an_IOException()
    {
        var w = new TcpWorld();
        var listener = w.A.ListenTcp(9002);
        var waited = w.Spawn(async () =>
        {
            await using var s = await listener.AcceptAsync();
            return await s.WaitToReadAsync();
        });
        var client = w.Spawn(async () =>
        {
            var s = await w.B.ConnectTcpAsync(TcpWorld.AIp, 9002);
            s.Abort();
        });
        w.RunUntil(() => waited.IsCompleted && client.IsCompleted, 60).Should().BeTrue();
        waited.Exception!.InnerException.Should().BeOfType<IOException>();
    }
}
