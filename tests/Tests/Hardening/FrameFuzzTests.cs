using FluentAssertions;
using Netstack.Diagnostics;
using Netstack.Drivers.Loops;
using Netstack.Drivers.Segments;
using Netstack.Time;
using Netstack.Wire;
using Netstack.Harness.Fuzzing;
using NUnit.Framework;

namespace Netstack.Tests.Hardening;

/// <summary>CI-sized runs of the mutation fuzzer: a few hundred thousand frames over several seeds.</summary>
public class FrameFuzzTests
{
    private static List<byte[]>? _corpus;
    private static List<byte[]> Corpus => _corpus ??= FuzzCorpus.Build();

    [TestCase(1UL), TestCase(2UL), TestCase(3UL)]
    public void Mutated_frames_never_escape_are_always_accounted_for_and_leak_nothing(ulong seed)
    {
        var report = new FrameFuzzer(Corpus, seed).Run(100_000);

        report.Findings.Should().BeEmpty();
        report.Frames.Should().BeGreaterThanOrEqualTo(100_000);
        // The run must have reached past the parsers' front doors, or it proves little.
        report.Accepted.Should().BeGreaterThan(10_000);
        report.Drops.Select(d => d.Reason).Should().Contain(new[]
        {
            DropReason.Ipv4BadChecksum, DropReason.Ipv4TotalLengthBeyondFrame, DropReason.FragmentOverlap,
            DropReason.Ipv4FragmentTooLarge, DropReason.UdpMalformed, DropReason.EthernetTruncated,
            DropReason.FragmentDatagramTooLarge, // trains of fragments with options near 64 KiB (issue 18)
        });
    }

    [Test]
    public void Mutated_ipv6_frames_reach_the_ipv6_parsers_and_are_dropped_for_ipv6_reasons()
    {
        var report = new FrameFuzzer(Corpus, 4).Run(50_000);
        report.Findings.Should().BeEmpty();
        report.Drops.Select(d => d.Reason).Should().Contain(new[]
        {
            DropReason.Ipv6PayloadLengthBeyondFrame, DropReason.Ipv6IcmpBadChecksum, DropReason.Ipv6NotForUs,
        });
        Corpus.Should().Contain(f => f[12] == 0x86 && f[13] == 0xDD && f.Length > 54 && f[20] == 44, "IPv6 fragments");
        Corpus.Should().Contain(f => f[12] == 0x86 && f[13] == 0xDD && f.Length > 54 && f[20] == 58 && f[54] == 135,
            "neighbour solicitations");
    }

    [Test]
    public void Ipv6_extension_chains_fragment_floods_and_neighbour_floods_reach_their_parsers_within_bounds()
    {
        var report = new FrameFuzzer(Corpus, 5).Run(150_000);
        // No finding includes "unbounded": the neighbour cache, routers, prefixes and autoconfigured addresses stayed
        // within their limits through floods of solicitations, echo requests and advertisements from many sources
        // (before the stack capped SLAAC addresses, a flood of advertised prefixes grew the address list to 1,411).
        report.Findings.Should().BeEmpty();
        report.ByMutation[Mutation.Ipv6ExtensionChain].Should().BeGreaterThan(1_000);
        report.ByMutation[Mutation.Ipv6FragmentFlood].Should().BeGreaterThan(0);
        report.ByMutation[Mutation.NeighborFlood].Should().BeGreaterThan(0);
        report.Drops.Select(d => d.Reason).Should().Contain(new[]
        {
            DropReason.Ipv6HopByHopNotFirst, DropReason.Ipv6RoutingHeaderRefused, DropReason.Ipv6UnknownOption,
            DropReason.Ipv6UnknownNextHeader, DropReason.Ipv6ExtensionHeaderTruncated, DropReason.Ipv6FragmentOverlap,
            DropReason.Ipv6FragmentTooLarge,
        });
    }

    [Test]
    public void The_fuzzers_redirect_flood_is_valid_and_the_redirect_cache_keeps_its_bound()
    {
        var link = new ScriptedLink { Recording = false };
        var loop = new VirtualEventLoop();
        var victim = new NetworkStack(loop, new SeededRandom(1), name: "victim");
        var iface = victim.AddInterface(link, FuzzCorpus.VictimMac, new Ipv4Cidr(FuzzCorpus.VictimIp, 24));
        victim.EnableIpv6(iface, new Ipv6Cidr(FuzzCorpus.VictimIp6, 64));
        int bound = victim.Options.Ipv6.MaxRedirectEntries;
        loop.RunUntil(loop.Now + Duration.FromSeconds(5)); // past duplicate address detection: no longer tentative

        foreach (var frame in new Ipv6Mutations(new SeededRandom(2)).RedirectFlood(bound + 500)) link.Inject(frame);

        // Every redirect passed RFC 4861 §8.1's checks (the flood reaches the cache, not just the validator), and the
        // cache evicted instead of growing.
        victim.Counters.RedirectsProcessed.Should().Be(bound + 500, string.Join(", ", victim.Counters.NonZeroDrops().Select(d => $"{d.Reason} {d.Count}")));
        victim.Counters.TotalDropped.Should().Be(0);
        iface.Ipv6!.Redirects.Count.Should().Be(bound);
    }

    [Test]
    public void Corpus_holds_real_traffic_of_every_kind()
    {
        Corpus.Count.Should().BeGreaterThan(8);
        Corpus.Should().Contain(f => f[12] == 0x08 && f[13] == 0x06, "ARP frames seed the ARP parser");
        Corpus.Should().Contain(f => f.Length > 34 && f[12] == 0x08 && f[13] == 0x00 && (f[20] & 0x20) != 0, "fragments seed reassembly");
    }

    [Test]
    public void Same_seed_gives_the_same_report()
    {
        var first = new FrameFuzzer(Corpus, 42).Run(20_000);
        var second = new FrameFuzzer(Corpus, 42).Run(20_000);
        second.Drops.Should().Equal(first.Drops);
        second.FramesSent.Should().Be(first.FramesSent);
    }
}
