using System.Security.Cryptography;
using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>Every shipped scenario passes, its recording is clean in Wireshark's eyes, and it replays byte
/// for byte. The cases run in parallel with each other (each has its own world, loop and output directory; most of
/// a case's time is tshark's start-up, which a second core halves) but with no other fixture.</summary>
[TestFixture, Parallelizable(ParallelScope.Children)]
public class ShippedScenarioTests
{
    [Test]
    public void Scenarios_folder_ships_the_spine_scenarios()
    {
        var names = ShippedScenarios.Files().Select(Path.GetFileNameWithoutExtension).ToList();
        names.Should().Contain(["arp-resolution", "arp-absent-host", "icmp-echo", "ping-fragmented", "ping-via-gateway",
            "udp-delivered", "udp-closed-port"]);
    }

    [TestCaseSource(typeof(ShippedScenarios), nameof(ShippedScenarios.Cases))]
    public void Scenario(string file)
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(file, filters);
        var output = RepositoryPaths.FreshOutputDirectory("shipped-" + scenario.Name);

        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = output });

        result.Passed.Should().BeTrue(result.FailureMessage);
        result.Frames.Should().BeGreaterThan(0);
        TsharkValidator.RequireInstalled();
        var verdict = TsharkValidator.Validate(result.CapturePath!);
        verdict.Frames.Should().Be(result.Frames, "tshark must read every recorded frame");
        verdict.Clean.Should().BeTrue(verdict.ToString());
    }

    [TestCaseSource(typeof(ShippedScenarios), nameof(ShippedScenarios.ReplayCases))]
    public void Replays_byte_identically(string file)
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(file, filters);
        var first = RepositoryPaths.FreshOutputDirectory("determinism-1-" + scenario.Name);
        var second = RepositoryPaths.FreshOutputDirectory("determinism-2-" + scenario.Name);

        var a = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = first });
        var b = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = second });

        a.Frames.Should().BeGreaterThan(0);
        Hash(a.CapturePath!).Should().Be(Hash(b.CapturePath!), "the same scenario and seed must give the same pcap");
        a.VirtualTime.Should().Be(b.VirtualTime);
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
