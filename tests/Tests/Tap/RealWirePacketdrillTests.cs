using Netstack.Harness.Linux;
using Netstack.Harness.Packetdrill.Execution;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;

namespace Netstack.Tests.Tap;

/// <summary>Our .pkt scripts against the Linux kernel (<c>--wire tap</c>): the ones the kernel behaves as written
/// for pass, and one where it differs (its window scale) fails at that line, so the kernel really ran it.</summary>
[TestFixture, Category("Tap"), NonParallelizable]
public class RealWirePacketdrillTests
{
    [SetUp]
    public void RequireTap()
    {
        if (TapPrerequisites.MissingReason() is { } why) Assert.Ignore(why);
    }

    /// <summary>Runs a copy of the shipped script with a 50 ms tolerance in its first line: on a loaded CI machine
    /// the loop thread can be descheduled for longer than packetdrill's 4 ms, which says nothing about the kernel.</summary>
    private static ScenarioResult RunOnKernel(string name)
    {
        var dir = RepositoryPaths.FreshOutputDirectory("pkt-tap-" + name);
        var file = Path.Combine(dir, name + ".pkt");
        File.WriteAllText(file, "--tolerance_usecs=50000\n" +
                                File.ReadAllText(Path.Combine(RepositoryPaths.Scenarios, "packetdrill", name + ".pkt")));
        return PacketdrillRunner.Run(LoadedScript.Load(file), new RunOptions { OutputDirectory = dir, Wire = ScenarioWire.Tap });
    }

    [TestCase("close-passive")]
    [TestCase("close-simultaneous")]
    [TestCase("rst-states")]
    [TestCase("icmp-port-unreachable")]
    public void The_kernel_passes_the_scripts_it_behaves_as_written_for(string name)
    {
        var result = RunOnKernel(name);
        Assert.That(result.Passed, Is.True, result.FailureMessage);
        Assert.That(result.Wire, Is.EqualTo(ScenarioWire.Tap));
    }

    [Test]
    public void The_kernel_advertises_its_own_window_scale_and_the_script_says_where()
    {
        var result = RunOnKernel("handshake-passive");
        Assert.That(result.Passed, Is.False);
        Assert.That(result.FailureMessage, Does.Contain("handshake-passive.pkt:10:1:").And.Contain("wscale 3"));
    }
}
