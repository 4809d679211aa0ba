using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Trace;
using Netstack.Tests.Scenarios;
using Netstack.Tests.Support;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Hardening;

/// <summary>The lossy 1 MB transfer under many seeds: every seed must deliver the stream byte-exact (the
/// scenario's tcp-receive expectations) and close cleanly. The full sweep is
/// <c>./harness run scenarios/hardening-tcp-1mb-lossy.yaml --seeds 1..1000</c>.</summary>
public class SeedSweepTests
{
    private const int Seeds = 50;

    [Test]
    public void Lossy_1mb_transfer_passes_under_50_seeds()
    {
        using var filters = new FrameFilterCache();
        var scenario = ShippedScenarios.Load(Path.Combine(RepositoryPaths.Scenarios, "hardening-tcp-1mb-lossy.yaml"), filters);
        var runner = new ScenarioRunner();
        var failures = new List<string>();
        long retransmissions = 0;
        for (ulong seed = 1; seed <= Seeds; seed++)
        {
            var r = runner.Run(scenario, new RunOptions { OutputDirectory = null, Seed = seed });
            TestContext.Out.WriteLine($"seed {seed,3}: {(r.Passed ? "pass" : "FAIL")} {r.VirtualTime.TotalSeconds,8:F3} s {r.TcpRetransmissions,4} retransmissions {r.Frames,5} frames");
            if (!r.Passed) failures.Add($"seed {seed}: {r.FailureMessage}");
            retransmissions += r.TcpRetransmissions;
        }
        failures.Should().BeEmpty();
        retransmissions.Should().BeGreaterThan(Seeds * 20, "the wire really is lossy (10% of frames dropped)");
    }
}
