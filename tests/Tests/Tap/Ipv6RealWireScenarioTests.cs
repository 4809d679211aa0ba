using FluentAssertions;
using Netstack.Harness.Linux;
using Netstack.Tests.Scenarios;
using Netstack.Tests.Support;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Tap;

/// <summary>`harness run --wire tap` with the shipped IPv6 scenarios that have a host played by Linux: the kernel,
/// IPv6 on its tap only, resolves our stack by neighbour discovery and serves UDP and TCP over IPv6 (they pass on
/// the virtual wire in ShippedScenarioTests); the captures are tshark-clean and the namespaces are gone after.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class Ipv6RealWireScenarioTests
{
    private string _out = "";

    [SetUp]
    public void RequireTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
        _out = Path.Combine(Path.GetTempPath(), $"real-wire-ip6-{Environment.ProcessId}-{TestContext.CurrentContext.Test.ID}");
    }

    [TearDown]
    public void RemoveOutput()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Test]
    public void Shipped_ipv6_scenarios_with_a_linux_host_pass_against_the_kernel()
    {
        var files = ShippedScenarios.Files()
            .Where(f => Path.GetFileName(f).StartsWith("ipv6-", StringComparison.Ordinal) && File.ReadAllText(f).Contains("played-by: linux"))
            .ToArray();
        files.Select(Path.GetFileName).Should().BeEquivalentTo(["ipv6-udp.yaml", "ipv6-tcp-loss.yaml"]);

        using var harness = HarnessProcess.StartHere(["run", "--wire", "tap", "--out", _out, .. files]);
        var exit = harness.WaitForExit(Duration.FromMinutes(2));

        exit.Should().Be(0, harness.Output + harness.Error);
        harness.Output.Should().Contain($"{files.Length} scenarios: {files.Length} passed, 0 failed on the tap wire");
        CommandRunner.Run("ip", "netns", "list").Output
            .Should().NotContain($"{LinuxPeer.NamespacePrefix}{Environment.ProcessId}x", "every run deletes the namespace it made");
        foreach (var pcap in Directory.GetFiles(_out, "*.pcap"))
        {
            TsharkCheck.FindProblems(pcap, alsoWrong: null, kernel: null, 5000, 7, 80, 40000).Should().BeEmpty(pcap);
            TsharkCheck.Frames(pcap, "ipv6.src == 2001:db8::b").Should().NotBeEmpty($"the kernel spoke IPv6 in {pcap}");
        }
    }
}
