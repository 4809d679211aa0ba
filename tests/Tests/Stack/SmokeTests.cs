using FluentAssertions;
using Netstack.Api;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Harness.Worlds;

namespace Netstack.Tests.Stack;

public class SmokeTests
{
    [Test]
    public void Ping_between_two_hosts_resolves_arp_and_gets_a_reply()
    {
        var world = new WorldBuilder(1)
            .Segment("lan", new SegmentOptions { Latency = Duration.FromMilliseconds(1) })
            .Host("a", "lan", "02:00:00:00:00:0a", "192.0.2.10/24")
            .Host("b", "lan", "02:00:00:00:00:0b", "192.0.2.11/24");
        var sim = world.Start();
        var (a, b) = (world["a"], world["b"]);
        // Let the gratuitous ARPs pass: they only refresh entries a host already has (RFC 826 merge),
        // so they must not teach a about b.
        sim.Loop.RunUntil(Instant.FromMilliseconds(10));
        var reply = a.PingAsync(Ipv4Address.Parse("192.0.2.11"));
        sim.Loop.RunUntil(() => reply.IsCompleted, Instant.FromSeconds(5));
        a.Interfaces[0].Arp.TryLookup(Ipv4Address.Parse("192.0.2.11"), out var mac).Should().BeTrue();
        mac.Should().Be(MacAddress.Parse("02:00:00:00:00:0b"));
        reply.Result.Status.Should().Be(PingStatus.Success);
        // ARP request + reply, then echo request + reply: four one-way trips of 1 ms.
        reply.Result.RoundTripTime.Should().Be(Duration.FromMilliseconds(4));
    }
}
