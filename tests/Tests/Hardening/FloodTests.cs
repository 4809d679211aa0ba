using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Api;
using Netstack.Diagnostics;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using Netstack.Harness.Worlds;
using Netstack.Drivers;

namespace Netstack.Tests.Hardening;

/// <summary>Floods from a spoofing attacker on the segment: each must stay bounded and counted, and a
/// legitimate host must still be served while it goes on.</summary>
public class FloodTests
{
    private static readonly MacAddress VictimMac = MacAddress.Parse("02:00:00:00:00:0b");
    private static readonly Ipv4Address VictimIp = Ipv4Address.Parse("192.0.2.11");

    private static (World Sim, NetworkStack Client, NetworkStack Victim, VirtualPort Attacker) World()
    {
        var world = new WorldBuilder(5)
            .Segment("lan")
            .Host("client", "lan", "02:00:00:00:00:0a", "192.0.2.10/24")
            .Host("victim", "lan", VictimMac, new Ipv4Cidr(VictimIp, 24));
        var attacker = world.World.Segments["lan"].Connect("attacker");
        return (world.Start(), world["client"], world["victim"], attacker);
    }

    /// <summary>Sends <paramref name="count"/> frames from the attacker, one every 10 µs of virtual time,
    /// pinging from the client half-way through; returns the ping's outcome.</summary>
    private static PingResult FloodWhilePinging(World sim, NetworkStack client, VirtualPort attacker, int count,
        Func<int, byte[]> frame, int pingSize)
    {
        Task<PingResult>? ping = null;
        for (int i = 0; i < count; i++)
        {
            attacker.Transmit(frame(i));
            sim.Loop.RunUntil(sim.Now + Duration.FromMicroseconds(10));
            if (i == count / 2) ping = client.PingAsync(VictimIp, pingSize, Duration.FromSeconds(2));
        }
        sim.Loop.RunUntil(() => ping!.IsCompleted, sim.Now + Duration.FromSeconds(3));
        return ping!.Result;
    }

    [Test]
    public void Arp_flood_from_spoofed_senders_keeps_the_cache_bounded_and_the_host_reachable()
    {
        var (sim, client, victim, attacker) = World();
        int limit = victim.Options.Arp.MaxEntries;

        var reply = FloodWhilePinging(sim, client, attacker, 20_000, i =>
        {
            var f = new byte[60];
            var spoofedMac = new MacAddress(0x0200_0000_0000UL | (uint)(i + 0x100));
            var spoofedIp = new Ipv4Address(0x0A00_0000u | (uint)i);
            EthernetFrame.WriteHeader(f, MacAddress.Broadcast, spoofedMac, EtherType.Arp);
            new ArpPacket(ArpOperation.Request, spoofedMac, spoofedIp, MacAddress.Zero, VictimIp).Write(f.AsSpan(14));
            return f;
        }, 56);

        reply.Status.Should().Be(PingStatus.Success);
        victim.Interfaces[0].Arp.Entries.Count.Should().BeLessThanOrEqualTo(limit);
        victim.Counters.ArpPacketsProcessed.Should().BeGreaterThanOrEqualTo(20_000);
        victim.Buffers.Outstanding.Should().Be(0);
    }

    [Test]
    public void Fragment_flood_of_never_completed_datagrams_is_bounded_and_a_fragmented_ping_still_works()
    {
        var (sim, client, victim, attacker) = World();
        var options = victim.Options.Ipv4;

        var reply = FloodWhilePinging(sim, client, attacker, 20_000, i =>
        {
            // A first fragment (MF set) of a datagram whose rest never comes, each with a new ID.
            var f = new byte[14 + 20 + 1000];
            EthernetFrame.WriteHeader(f, VictimMac, MacAddress.Parse("02:00:00:00:66:66"), EtherType.Ipv4);
            Ipv4Packet.WriteHeader(f.AsSpan(14), new Ipv4Header(new Ipv4Address(0x0A00_0000u | (uint)i), VictimIp,
                IpProtocol.Udp, 1020, (ushort)i, MoreFragments: true));
            return f;
        }, 3000);

        reply.Status.Should().Be(PingStatus.Success);
        var reassembler = victim.Ipv4.Reassembler;
        reassembler.ActiveCount.Should().BeLessThanOrEqualTo(options.MaxReassemblies);
        reassembler.BytesHeld.Should().BeLessThanOrEqualTo(options.ReassemblyMemoryLimit);
        victim.Counters.Dropped(DropReason.FragmentMemoryExhausted).Should().BeGreaterThan(10_000);

        // After the reassembly timeout everything is released.
        sim.Loop.RunUntil(sim.Now + options.ReassemblyTimeout + Duration.FromSeconds(1));
        reassembler.ActiveCount.Should().Be(0);
        reassembler.BytesHeld.Should().Be(0);
    }

    [Test]
    public void Overlapping_fragment_attack_drops_the_datagram_and_counts_it()
    {
        var (sim, _, victim, attacker) = World();
        byte[] Fragment(int offset, int length, bool more)
        {
            var f = new byte[14 + 20 + length];
            EthernetFrame.WriteHeader(f, VictimMac, MacAddress.Parse("02:00:00:00:66:66"), EtherType.Ipv4);
            Ipv4Packet.WriteHeader(f.AsSpan(14), new Ipv4Header(Ipv4Address.Parse("192.0.2.66"), VictimIp,
                IpProtocol.Udp, 20 + length, 77, MoreFragments: more, FragmentOffset: offset));
            return f;
        }
        attacker.Transmit(Fragment(0, 64, more: true));
        attacker.Transmit(Fragment(32, 64, more: false)); // overlaps bytes 32..63
        sim.Loop.RunUntil(sim.Now + Duration.FromMilliseconds(1));

        victim.Counters.Dropped(DropReason.FragmentOverlap).Should().Be(1);
        victim.Ipv4.Reassembler.ActiveCount.Should().Be(0);
        victim.Counters.DatagramsReassembled.Should().Be(0);
        BinaryPrimitives.ReadUInt16BigEndian(Fragment(32, 8, false).AsSpan(14 + 6)).Should().Be(4, "offset field counts 8-byte units");
    }
}
