using System.Buffers.Binary;
using FluentAssertions;
using Netstack.Time;
using Netstack.Wire;
using NUnit.Framework;
using static Netstack.Tests.Protocols.Ipv6.Ipv6Host;

namespace Netstack.Tests.Protocols.Ipv6;

/// <summary>Mutated IPv6 frames (extension-header chains, fragments, ND messages and redirects, transports): none throws, each is
/// accounted for (dropped with a reason, delivered, or queued for reassembly), and once the timers ran out nothing is
/// held.</summary>
public class Ipv6MutatedFrameTests
{
    private static List<byte[]> Seeds()
    {
        var echo = Ipv6Frames.Echo(PeerIp, Ip, 1, 1, TestFrames.Pattern(100));
        return
        [
            FromPeer(58, echo),
            FromPeer(17, Ipv6Frames.Udp(PeerIp, Ip, 5, 7, TestFrames.Pattern(64))),
            FromPeer(0, Ipv6Frames.Concat(Ipv6Frames.OptionsHeader(60, [1, 0]), Ipv6Frames.OptionsHeader(43, [0x1E, 1, 0]),
                new byte[] { 58, 0, 0, 0, 0, 0, 0, 0 }, echo)),
            FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 0, true, 7), echo[..64])),
            FromPeer(44, Ipv6Frames.Concat(Ipv6Frames.FragmentHeader(58, 64, false, 7), echo[64..])),
            FromPeer(58, Ipv6Frames.Solicitation(PeerIp, Ip.SolicitedNodeMulticast, Ip, PeerMac), destination: Ip.SolicitedNodeMulticast,
                destinationMac: Ip.SolicitedNodeMulticast.MulticastMac, hopLimit: 255),
            FromPeer(58, Ipv6Frames.Advertisement(PeerIp, Ip, PeerIp, PeerMac, true, true), hopLimit: 255),
            FromPeer(58, Ipv6Frames.RouterAdvertisement(RouterLinkLocal, 64, 100,
                Ipv6Frames.LinkLayerOption(1, RouterMac), Ipv6Frames.PrefixOption(Ipv6Address.Parse("2001:db8:7::"), 64, true, true, 100, 50),
                Ipv6Frames.MtuOption(1400)), source: RouterLinkLocal, destination: Ipv6Address.AllNodes,
                destinationMac: Ipv6Address.AllNodes.MulticastMac, hopLimit: 255),
            FromPeer(58, Ipv6Frames.Icmpv6(RouterLinkLocal, Ip, 137, 0, 0, Ipv6Frames.Concat(Ipv6Address.Parse("fe80::99").Bytes(),
                Ipv6Address.Parse("2001:db8:99::1").Bytes(), Ipv6Frames.LinkLayerOption(2, PeerMac))), source: RouterLinkLocal, hopLimit: 255),
            FromPeer(58, Ipv6Frames.Icmpv6(PeerIp, Ip, 2, 0, 1280, FromPeer(17, Ipv6Frames.Udp(Ip, PeerIp, 7, 5, new byte[40]))[14..])),
        ];
    }

    private static byte[] Mutate(byte[] seed, Random r)
    {
        var f = (byte[])seed.Clone();
        switch (r.Next(5))
        {
            case 0: // flip bytes anywhere past Ethernet
                for (int i = r.Next(1, 4); i > 0; i--) f[14 + r.Next(f.Length - 14)] ^= (byte)r.Next(1, 256);
                break;
            case 1: // a header-chain byte: next header or an extension length
                f[14 + 6] = (byte)r.Next(new[] { 0, 43, 44, 59, 60, 58, 17, 6, 255 }.Length) switch
                {
                    0 => 0, 1 => 43, 2 => 44, 3 => 59, 4 => 60, 5 => 58, 6 => 17, 7 => 6, _ => 255,
                };
                if (f.Length > 55) f[14 + 41] = (byte)r.Next(256);
                break;
            case 2: // payload length off by some
                BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(18), (ushort)(BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)) + r.Next(-20, 20)));
                break;
            case 3: // truncated
                return f[..r.Next(14, f.Length)];
            default: // source or destination replaced by something special
                var special = new[] { "::", "::1", "ff02::1", "fe80::1", "2001:db8::10", "ff02::1:ff00:10" }[r.Next(6)];
                Ipv6Address.Parse(special).Write(f.AsSpan(14 + (r.Next(2) == 0 ? 8 : 24)));
                break;
        }
        return f;
    }

    [Test]
    public void Twenty_thousand_mutated_ipv6_frames_are_each_accounted_for_and_none_throws()
    {
        var host = new Ipv6Host(Quiet with { AcceptRouterAdvertisements = true });
        host.LearnPeer();
        using var udp = host.Stack.OpenUdp(7);
        using var tcp = host.Stack.ListenTcp(80);
        var seeds = Seeds();
        var random = new Random(20261201);
        var counters = host.Stack.Counters;
        for (int i = 0; i < 20_000; i++)
        {
            var frame = Mutate(seeds[random.Next(seeds.Count)], random);
            long before = counters.TotalDropped + counters.Ipv6Delivered + counters.Ipv6FragmentsQueued;
            try
            {
                host.FeedAt(host.Now + Duration.FromMicroseconds(10), frame);
            }
            catch (Exception e)
            {
                Assert.Fail($"frame {i} threw {e}: {Convert.ToHexString(frame)}");
            }
            if (counters.TotalDropped + counters.Ipv6Delivered + counters.Ipv6FragmentsQueued == before)
                Assert.Fail($"frame {i} is not accounted for: {Convert.ToHexString(frame)}");
            if (i % 100 == 0)
            {
                host.TakeSent();
                while (udp.TryReceiveFrom(out _)) { }
                while (udp.TryReceiveError(out _)) { }
            }
        }
        counters.Ipv6Delivered.Should().BeGreaterThan(2000, "the mutations must reach the upper layers");
        host.RunUntil(host.Now + Duration.FromSeconds(300));
        while (udp.TryReceiveFrom(out _)) { }
        host.Stack.Buffers.Outstanding.Should().Be(0);
        host.Stack.Ipv6.Reassembler.ActiveCount.Should().Be(0);
        host.Stack.Ipv6.Reassembler.BytesHeld.Should().Be(0);
        host.Neighbors.Entries.Count.Should().BeLessThanOrEqualTo(new Netstack.Link.NeighborDiscoveryOptions().MaxEntries);
    }
}
