using FluentAssertions;
using Netstack.Link;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;

namespace Netstack.Tests.Wire;

/// <summary>The virtual switch floods a broadcast with one shared copy of the frame, whatever the fan-out, and
/// every port still receives exactly the bytes sent.</summary>
public class VirtualSegmentFloodTests
{
    private sealed class RecordingReceiver : IFrameReceiver
    {
        public List<byte[]> Frames { get; } = new();
        public void ReceiveFrame(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
    }

    private static byte[] Frame(string destination, string source, byte fill)
    {
        var f = new byte[60];
        MacAddress.Parse(destination).Write(f);
        MacAddress.Parse(source).Write(f.AsSpan(6));
        f[12] = 0x88; f[13] = 0xB5; // local experimental EtherType
        for (int i = 14; i < f.Length; i++) f[i] = (byte)(fill + i);
        return f;
    }

    [Test]
    public void A_broadcast_to_many_ports_holds_one_copy_and_reaches_each_port_intact()
    {
        var loop = new VirtualEventLoop();
        var lan = new VirtualSegment(loop, new SegmentOptions { Latency = Duration.FromMilliseconds(1) });
        var receivers = new List<RecordingReceiver>();
        var ports = new List<VirtualPort>();
        for (int i = 0; i < 200; i++)
        {
            var port = lan.Connect($"p{i}");
            var r = new RecordingReceiver();
            port.Attach(r);
            ports.Add(port);
            receivers.Add(r);
        }

        var broadcast = Frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", 7);
        ports[0].Transmit(broadcast);
        lan.FrameCopiesInFlight.Should().Be(1, "one shared buffer for 199 receivers");
        loop.PendingEvents.Should().Be(199);

        loop.RunUntil(Instant.FromMilliseconds(0.999));
        receivers.Sum(r => r.Frames.Count).Should().Be(0, "nothing arrives before the latency");
        loop.RunUntil(Instant.FromMilliseconds(1));
        receivers[0].Frames.Should().BeEmpty("the sender does not hear its own broadcast");
        foreach (var r in receivers.Skip(1))
            r.Frames.Should().ContainSingle().Which.Should().Equal(broadcast);
        lan.FrameCopiesInFlight.Should().Be(0);
    }

    [Test]
    public void Broadcasts_from_every_port_at_once_hold_one_copy_each()
    {
        var loop = new VirtualEventLoop();
        var lan = new VirtualSegment(loop);
        var ports = Enumerable.Range(0, 100).Select(i => lan.Connect($"p{i}")).ToList();
        var receivers = ports.Select(p => { var r = new RecordingReceiver(); p.Attach(r); return r; }).ToList();
        for (int i = 0; i < ports.Count; i++)
            ports[i].Transmit(Frame("ff:ff:ff:ff:ff:ff", $"02:00:00:00:01:{i:x2}", (byte)i));
        lan.FrameCopiesInFlight.Should().Be(100, "N broadcasts in flight are N buffers, not N²");
        loop.RunUntilIdle(Instant.FromSeconds(1));
        receivers.Should().OnlyContain(r => r.Frames.Count == 99);
        // Each receiver got each other port's frame byte for byte (the fill identifies the sender).
        for (int i = 0; i < ports.Count; i++)
            receivers[i].Frames.Select(f => (int)(byte)(f[20] - 20)).Should().BeEquivalentTo(Enumerable.Range(0, 100).Where(j => j != i));
        lan.FrameCopiesInFlight.Should().Be(0);
    }

    [Test]
    public void A_unicast_to_a_learned_address_goes_to_one_port_only()
    {
        var loop = new VirtualEventLoop();
        var lan = new VirtualSegment(loop);
        var ports = Enumerable.Range(0, 3).Select(i => lan.Connect($"p{i}")).ToList();
        var receivers = ports.Select(p => { var r = new RecordingReceiver(); p.Attach(r); return r; }).ToList();
        ports[2].Transmit(Frame("ff:ff:ff:ff:ff:ff", "02:00:00:00:00:02", 1)); // the switch learns p2
        loop.RunUntilIdle(Instant.FromSeconds(1));
        var unicast = Frame("02:00:00:00:00:02", "02:00:00:00:00:00", 9);
        ports[0].Transmit(unicast);
        loop.RunUntilIdle(Instant.FromSeconds(2));
        receivers[1].Frames.Should().HaveCount(1, "only the broadcast");
        receivers[2].Frames.Should().ContainSingle().Which.Should().Equal(unicast);
    }
}
