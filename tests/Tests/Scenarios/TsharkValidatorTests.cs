using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Harness.Scenarios;
using Netstack.Harness.Trace;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Scenarios;

/// <summary>The validator that judges every recording must itself catch what it is there to catch.</summary>
public class TsharkValidatorTests
{
    private const string UdpScenario = """
        name: validator-sample
        wire: { latency: 1ms }
        hosts:
          a: { ip: 192.0.2.10/24 }
          b: { ip: 192.0.2.11/24 }
        steps:
          - udp-bind: b:7
          - udp-send: { from: a:5000, to: b:7, data: hello }
          - expect: { udp-receive: b:7, data: hello }
        """;

    [Test]
    public void Flags_a_corrupted_udp_checksum()
    {
        TsharkValidator.RequireInstalled();
        using var filters = new FrameFilterCache();
        var scenario = ScenarioLoader.Load(UdpScenario, "validator-sample.yaml", filters);
        var dir = RepositoryPaths.FreshOutputDirectory("validator");
        var result = new ScenarioRunner().Run(scenario, new RunOptions { OutputDirectory = dir });
        result.Passed.Should().BeTrue(result.FailureMessage);
        TsharkValidator.Validate(result.CapturePath!).Clean.Should().BeTrue();

        var bytes = File.ReadAllBytes(result.CapturePath!);
        int hello = bytes.AsSpan().IndexOf("hello"u8);
        hello.Should().BePositive();
        bytes[hello] ^= 0xff; // payload changed, checksum not
        var corrupted = Path.Combine(dir, "corrupted.pcap");
        File.WriteAllBytes(corrupted, bytes);

        var verdict = TsharkValidator.Validate(corrupted);
        verdict.BadChecksums.Should().Be(1, verdict.ExpertOutput);
        verdict.Clean.Should().BeFalse();
    }
}
