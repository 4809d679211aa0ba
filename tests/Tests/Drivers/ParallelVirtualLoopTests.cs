using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Drivers;
using Netstack.Drivers.Capture;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Harness.Worlds;
using Netstack.Tests.Tcp;
using Netstack.Time;
using Netstack.Transport.Tcp;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Drivers;

/// <summary>The parallel virtual loop replays byte for byte whatever the number of threads: the same world and seed
/// give the same pcap and the same stack counters on one thread and on two, run after run.</summary>
public class ParallelVirtualLoopTests
{
    private static readonly Ipv4Address ServerIp = Ipv4Address.Parse("192.0.2.2");

    /// <summary>What one run produced: the pcap's bytes, the hosts' counters, the clock, the payload's hash.</summary>
    private sealed record Outcome(byte[] Pcap, string Counters, Instant End, long Windows, string Received);

    /// <summary>Clients each send <paramref name="bytes"/> to one server over TCP (streams, as applications do), on a
    /// segment with <paramref name="latency"/> and optional seeded loss and reordering; recorded to a pcap.</summary>
    private static Outcome Transfer(int threads, ulong seed, int clients, int bytes, Duration latency, double loss = 0)
    {
        var path = Path.Combine(Path.GetTempPath(), $"parallel-{Environment.ProcessId}-{Guid.NewGuid():N}.pcap");
        try
        {
            using var loop = new ParallelVirtualLoop(threads);
            string received;
            string counters;
            using (var pcap = new PcapFileSink(path))
            {
                var tcp = new TcpSettings { MinRto = Duration.FromMilliseconds(200) };
                var builder = new WorldBuilder(seed, pcap, loop)
                    .Segment("lan", new SegmentOptions { Latency = latency, BandwidthBitsPerSecond = 1_000_000_000 })
                    .Host("server", "lan", "02:00:00:00:00:02", "192.0.2.2/24", new StackOptions { Tcp = tcp });
                for (int c = 0; c < clients; c++)
                    builder.Host($"client{c}", "lan", $"02:00:00:00:01:{c:x2}", $"192.0.2.{10 + c}/24", new StackOptions { Tcp = tcp });
                var world = builder.Start();
                if (loss > 0)
                    world.Segments["lan"].Faults = new LossyReorderingWire(world.ForkRandom(), loss, loss, Duration.FromMilliseconds(1));

                var server = builder["server"];
                var listener = server.ListenTcp(9000);
                var results = new Task<string>?[clients];
                for (int c = 0; c < clients; c++)
                {
                    int index = c;
                    var client = builder[$"client{c}"];
                    var payload = new byte[bytes];
                    new Random(index).NextBytes(payload);
                    client.Scheduler.Post(() =>
                    {
                        _ = SendAll(client, payload);
                    });
                    server.Scheduler.Post(() => results[index] = ReceiveAll(listener));
                }
                bool done = loop.RunUntil(() => results.All(r => r is { IsCompleted: true }), loop.Now + Duration.FromSeconds(120));
                done.Should().BeTrue("every transfer completes");
                received = string.Join(",", results.Select(r => r!.Result).Order());
                loop.RunUntil(loop.Now + Duration.FromSeconds(5));
                counters = string.Join(";", world.Hosts.Values.Select(h =>
                    $"{h.Name}:{h.Counters.TcpSegmentsSent}/{h.Counters.TcpRetransmissions}/{h.Counters.FramesReceived}"));
            }
            return new Outcome(File.ReadAllBytes(path), counters, loop.Now, loop.Windows, received);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task SendAll(NetworkStack client, byte[] payload)
    {
        await using var s = await client.ConnectTcpAsync(ServerIp, 9000);
        await s.WriteAsync(payload);
        s.ShutdownSend();
        var rest = new byte[16];
        while (await s.ReadAsync(rest) > 0) { }
    }

    private static async Task<string> ReceiveAll(Netstack.Api.TcpListenSocket listener)
    {
        await using var s = await listener.AcceptAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[8192];
        int n;
        while ((n = await s.ReadAsync(buffer)) > 0) hash.AppendData(buffer, 0, n);
        return Convert.ToHexString(hash.GetHashAndReset())[..16];
    }

    private static string Sha(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes));

    [Test]
    public void A_tcp_transfer_records_the_same_pcap_on_one_thread_and_on_two()
    {
        var one = Transfer(threads: 1, seed: 7, clients: 1, bytes: 300_000, Duration.FromMicroseconds(50));
        one.Pcap.Length.Should().BeGreaterThan(300_000);
        one.Windows.Should().BeGreaterThan(10, "the transfer spans many windows");
        for (int run = 0; run < 4; run++)
        {
            var two = Transfer(threads: 2, seed: 7, clients: 1, bytes: 300_000, Duration.FromMicroseconds(50));
            Sha(two.Pcap).Should().Be(Sha(one.Pcap), $"run {run}");
            two.Counters.Should().Be(one.Counters);
            two.End.Should().Be(one.End);
            two.Received.Should().Be(one.Received);
        }
    }

    [Test]
    public void A_lossy_transfer_with_a_seed_replays_on_one_thread_and_on_two([Values(3ul, 11ul)] ulong seed)
    {
        var one = Transfer(threads: 1, seed, clients: 2, bytes: 200_000, Duration.FromMicroseconds(100), loss: 0.03);
        one.Counters.Should().MatchRegex(@"client0:\d+/[1-9]\d*/.*client1:\d+/[1-9]", "the loss makes every sender retransmit");
        for (int run = 0; run < 3; run++)
        {
            var two = Transfer(threads: 2, seed, clients: 2, bytes: 200_000, Duration.FromMicroseconds(100), loss: 0.03);
            Sha(two.Pcap).Should().Be(Sha(one.Pcap), $"run {run}");
            two.Counters.Should().Be(one.Counters);
            two.Received.Should().Be(one.Received);
        }
        var other = Transfer(threads: 2, seed + 1, clients: 2, bytes: 200_000, Duration.FromMicroseconds(100), loss: 0.03);
        Sha(other.Pcap).Should().NotBe(Sha(one.Pcap), "another seed loses other frames");
        other.Received.Should().Be(one.Received, "the payload arrives whatever is lost");
    }

    [Test]
    public void More_hosts_than_threads_replay_the_same()
    {
        var one = Transfer(threads: 1, seed: 5, clients: 4, bytes: 100_000, Duration.FromMicroseconds(30));
        var two = Transfer(threads: 2, seed: 5, clients: 4, bytes: 100_000, Duration.FromMicroseconds(30));
        var three = Transfer(threads: 3, seed: 5, clients: 4, bytes: 100_000, Duration.FromMicroseconds(30));
        Sha(two.Pcap).Should().Be(Sha(one.Pcap));
        Sha(three.Pcap).Should().Be(Sha(one.Pcap));
        three.Counters.Should().Be(one.Counters);
    }

    [Test]
    public void A_segment_without_latency_between_partitions_is_refused_with_its_name()
    {
        using var loop = new ParallelVirtualLoop(2);
        var builder = new WorldBuilder(1, loop: loop)
            .Segment("backbone", new SegmentOptions { Latency = Duration.Zero })
            .Host("a", "backbone", "02:00:00:00:00:01", "192.0.2.1/24")
            .Host("b", "backbone", "02:00:00:00:00:02", "192.0.2.2/24");
        builder.Start();
        var run = () => loop.RunUntil(loop.Now + Duration.FromSeconds(1));
        run.Should().Throw<InvalidOperationException>().WithMessage("*segment 'backbone'*zero latency*lookahead*");
    }

    [Test]
    public void The_windows_are_the_lookahead_long_and_the_clock_ends_on_the_limit()
    {
        using var loop = new ParallelVirtualLoop(2);
        var builder = new WorldBuilder(1, loop: loop)
            .Segment("lan", new SegmentOptions { Latency = Duration.FromMicroseconds(250) })
            .Host("a", "lan", "02:00:00:00:00:01", "192.0.2.1/24")
            .Host("b", "lan", "02:00:00:00:00:02", "192.0.2.2/24");
        builder.Start();
        var limit = loop.Now + Duration.FromSeconds(3);
        loop.RunUntil(limit);
        loop.Lookahead.Should().Be(Duration.FromMicroseconds(250));
        loop.Now.Should().Be(limit);
        builder["a"].Scheduler.Now.Should().Be(limit);
        builder["b"].Scheduler.Now.Should().Be(limit);
        builder["b"].Counters.FramesReceived.Should().BeGreaterThan(0, "a's gratuitous ARP reached b");
    }
}
