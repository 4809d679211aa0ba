using FluentAssertions;
using Netstack.Harness.Benchmarks;
using Netstack.Drivers.Capture;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Benchmarks;

/// <summary>The benchmark floods do what their figures claim: every frame counted is real traffic that the
/// other host handled, nothing is dropped, and with recording on every frame reaches the pcap file.</summary>
public class FloodWorldTests
{
    [Test]
    public void The_echo_flood_gets_every_request_answered_without_drops() =>
        EveryRequestIsAnsweredWithoutDrops(new FloodWorld(w => new EchoFlood(w)), c => c.IcmpEchoRepliesSent);

    [Test]
    public void The_ipv6_echo_flood_gets_every_request_answered_without_drops() =>
        EveryRequestIsAnsweredWithoutDrops(new FloodWorld(w => new Echo6Flood(w)), c => c.Icmpv6EchoRepliesSent);

    private static void EveryRequestIsAnsweredWithoutDrops(FloodWorld world, Func<Netstack.Diagnostics.StackCounters, long> repliesSent)
    {
        long repliesBefore = repliesSent(world.Receiver.Counters);
        long droppedBefore = world.Sender.Counters.TotalDropped + world.Receiver.Counters.TotalDropped;
        long frames = world.Pump(10_000);
        frames.Should().BeGreaterThanOrEqualTo(10_000);
        frames.Should().BeLessThan(10_000 + 2 * FloodWorld.Burst + 1);
        (frames % 2).Should().Be(0, "each request has its reply");
        (repliesSent(world.Receiver.Counters) - repliesBefore).Should().Be(frames / 2);
        (world.Sender.Counters.TotalDropped + world.Receiver.Counters.TotalDropped).Should().Be(droppedBefore,
            "nothing is dropped during the flood (set-up drops the other host's gratuitous ARP)");
        world.Sender.Buffers.Outstanding.Should().Be(0);
        world.Receiver.Buffers.Outstanding.Should().Be(0);
    }

    [Test]
    public void The_udp_flood_delivers_every_datagram_to_the_receiving_socket()
    {
        var world = new FloodWorld(w => new UdpFlood(w));
        var traffic = (UdpFlood)world.Traffic;
        long droppedBefore = world.Sender.Counters.TotalDropped + world.Receiver.Counters.TotalDropped;
        long frames = world.Pump(10_000);
        frames.Should().BeGreaterThanOrEqualTo(10_000);
        traffic.DatagramsReceived.Should().Be(frames);
        (world.Sender.Counters.TotalDropped + world.Receiver.Counters.TotalDropped).Should().Be(droppedBefore);
    }

    [Test]
    public void With_recording_every_frame_on_the_wire_is_written_to_the_pcap_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"flood-{Guid.NewGuid():N}.pcap");
        try
        {
            using var sink = new PcapFileSink(path);
            var world = new FloodWorld(w => new EchoFlood(w), sink);
            long before = sink.FramesWritten;
            long frames = world.Pump(5_000);
            (sink.FramesWritten - before).Should().Be(frames);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void Recorded_flood_traffic_is_clean_for_wireshark()
    {
        TsharkValidator.RequireInstalled();
        var path = Path.Combine(Path.GetTempPath(), $"flood-{Guid.NewGuid():N}.pcap");
        try
        {
            long written;
            using (var sink = new PcapFileSink(path))
            {
                new FloodWorld(w => new EchoFlood(w), sink).Pump(1_000);
                var udp = new FloodWorld(w => new UdpFlood(w), sink);
                udp.Pump(1_000);
                written = sink.FramesWritten;
            }
            var verdict = TsharkValidator.Validate(path);
            verdict.Frames.Should().Be((int)written);
            verdict.Clean.Should().BeTrue(verdict.ToString());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
