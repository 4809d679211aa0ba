using FluentAssertions;
using Netstack.Harness.Running;
using Netstack.Tests.Support;
using NUnit.Framework;
using Netstack.Time;

namespace Netstack.Tests.Scenarios;

/// <summary>`run --wire`: the choices, what cannot be combined with the real wire, and the tolerance rule.</summary>
public class RunWireOptionTests
{
    [Test]
    public void An_unknown_wire_is_a_usage_error()
    {
        var (exit, _, stderr) = CliRunner.Run("run", "--wire", "ethernet", RepositoryPaths.Scenarios);
        exit.Should().Be(2);
        stderr.Should().Contain("ethernet").And.Contain("virtual").And.Contain("tap");
    }

    [Test]
    public void Seed_sweeps_need_the_virtual_wire()
    {
        var (exit, stdout, stderr) = CliRunner.Run("run", "--wire", "tap", "--seeds", "1..3", RepositoryPaths.Scenarios);
        exit.Should().Be(2);
        stdout.Should().BeEmpty();
        stderr.Should().Contain("--seeds needs the virtual wire");
    }

    [TestCase(0, 4_000_000)]
    [TestCase(10_000_000, 4_000_000)]
    [TestCase(32_000_000, 4_000_000)]
    [TestCase(40_000_000, 5_000_000)]
    [TestCase(1_000_000_000, 125_000_000)]
    [TestCase(-1_000_000_000, 125_000_000)]
    public void Real_wire_tolerance_is_4ms_or_an_eighth_of_the_interval(long interval, long tolerance) =>
        RealWireTolerance.For(Duration.FromNanoseconds(interval)).Should().Be(Duration.FromNanoseconds(tolerance));
}
